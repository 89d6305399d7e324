/// Sluice's configuration file, as YAML (camelCase keys, like MediaMTX's). Every field has a
/// default, so an empty file is valid and `make run` needs none; `sluice serve --print-config`
/// prints this whole tree. `ConfigLoader` reads it, `Serve` maps it onto the server's types.
///
/// Reloadable (SIGHUP, `POST /api/v1/reload`) without dropping a stream: `logging`, `auth`,
/// `paths` (for the next publish), `limits` that are checked per connection, `api.token`.
/// Listeners and HLS timing apply at start only (a player fails if PART-TARGET changes).
public struct SluiceConfig: Codable, Sendable, Equatable {
    public var listeners = Listeners()
    public var logging = Logging()
    public var api = API()
    public var hls = HLS()
    public var transcode = Transcode()
    /// Per app or path pattern: the first rule whose `match` fits a stream path applies.
    public var paths: [PathRule] = []
    public var auth = Auth()
    public var limits = Limits()
    public var metrics = Metrics()
    public var analytics = Analytics()
    public var dashboard = Dashboard()
    public var clips = Clips()
    public var recording = Recording()
    public var webrtc = WebRTC()

    public init() {}

    public struct Listeners: Codable, Sendable, Equatable {
        /// Address every listener binds.
        public var host = "0.0.0.0"
        public var rtmp = RTMP()
        public var srt = SRT()
        public var http = HTTP()
        public init() {}

        public struct RTMP: Codable, Sendable, Equatable {
            public var enabled = true
            /// 0 picks a free port (the bound one is logged).
            public var port = 1935
            public init() {}
        }

        public struct SRT: Codable, Sendable, Equatable {
            public var enabled = true
            public var port = 9000
            /// Receiver latency (ms, 20–8000): the loss window repaired by retransmission.
            public var latencyMs = 120
            /// Passphrase every SRT caller must use (10–79 characters); none when absent.
            public var passphrase: String?
            public init() {}
        }

        public struct HTTP: Codable, Sendable, Equatable {
            public var port = 8080
            /// `Access-Control-Allow-Origin` on HLS, player and API responses.
            public var allowOrigin = "*"
            public init() {}
        }
    }

    public struct Logging: Codable, Sendable, Equatable {
        /// trace, debug, info, notice, warning, error, critical.
        public var level = "info"
        public init() {}
    }

    public struct API: Codable, Sendable, Equatable {
        /// Bearer token for `/api/v1/*` (not `/healthz`, `/readyz`) and the dashboard. Absent:
        /// `sluice serve` generates one at start and prints it. An empty string turns the check
        /// off (only for a private network: anyone who reaches the port can kick a publisher).
        public var token: String?
        public init() {}
    }

    public struct HLS: Codable, Sendable, Equatable {
        /// PART-TARGET (seconds).
        public var partSeconds = 0.25
        /// PART-HOLD-BACK in parts (≥ 2): how far behind the live edge LL-HLS players aim.
        public var partHoldBackParts = 3.0
        /// EXT-X-TARGETDURATION (whole seconds).
        public var targetDurationSeconds = 2
        /// A keyframe starts a new segment once the current one is at least this long.
        public var segmentMinimumSeconds = 0.5
        /// Seconds of media each media playlist lists.
        public var playlistWindowSeconds = 20.0
        /// Also write MPEG-TS segments (`legacy.m3u8`) for players without fMP4.
        public var legacyTS = false
        /// The first variant listed is the best that fits this (kbit/s); 0 keeps the source first.
        public var startBandwidthKbps = 3500
        /// How long a path's playlists wait for a republish before they get ENDLIST.
        public var endGraceSeconds = 10.0
        /// Bytes of media one rendition keeps, at most (MiB).
        public var maxRetainedMiB = 128
        /// Time-shift: seconds of media the live playlists list, so a viewer can scrub back
        /// during the show (0: off, `playlistWindowSeconds` applies). Held in memory, bounded by
        /// `maxRetainedMiB`: raise it to bitrate × window.
        public var dvrWindowSeconds = 0.0
        public init() {}
    }

    public struct Transcode: Codable, Sendable, Equatable {
        /// false serves the source rendition only.
        public var enabled = true
        /// `name:bitrate` rungs, e.g. `720p:3000k,480p:1200k,360p:700k`; rungs above the source
        /// are skipped. Absent: the built-in ladder.
        public var ladder: String?
        /// x264 preset of every rung.
        public var preset = "veryfast"
        public var gopSeconds = 2.0
        /// RTMP players whose send queue grows move down a rendition or skip to a keyframe.
        public var playerAdaptation = true
        public init() {}
    }

    /// Overrides for the stream paths `match` fits: a glob over the whole path, where `*` is one
    /// path segment and `**` any number (`live/*`, `shop/**`, `live/flagship`).
    public struct PathRule: Codable, Sendable, Equatable {
        public var match: String
        /// nil inherits `transcode.enabled`.
        public var transcode: Bool?
        /// nil inherits `transcode.ladder`.
        public var ladder: String?
        /// nil inherits `auth.publish`.
        public var publish: PublishAuth?
        /// nil inherits `auth.play`.
        public var play: PlayAuth?
        /// Pull the path from this URL when nobody pushes it (`rtmp://`, `srt://`, an HLS
        /// playlist, any libavformat input; `{path}` and `{name}` are filled in): on its first
        /// playlist request, or from start with `pullAlways`.
        public var pull: String?
        /// Pull from start (exact paths only) and never stop for lack of viewers.
        public var pullAlways: Bool?
        /// An on-demand pull stops after this long without a playlist request (default 30).
        public var pullIdleSeconds: Double?
        /// Restream: push the path's source to each of these (`rtmp://`, `rtmps://`, `srt://`;
        /// `{path}`, `{name}` filled in) while it is live.
        public var forward: [String]?
        /// Record the path (nil inherits `recording.enabled`).
        public var record: Bool?
        public init(match: String) { self.match = match }
    }

    public struct Auth: Codable, Sendable, Equatable {
        public var publish = PublishAuth()
        public var play = PlayAuth()
        public var webhook = Webhook()
        public init() {}
    }

    /// Who may publish. With neither `keys` nor `hmacSecret`, anyone may (the default, as in
    /// every media server's quick start); a republish to a live path still needs the key the
    /// live publisher proved.
    public struct PublishAuth: Codable, Sendable, Equatable {
        /// Static secrets: the RTMP stream key query `name?key=SECRET`, the SRT streamid
        /// `#!::r=live/name,k=SECRET` (or `live/name?key=SECRET`).
        public var keys: [String] = []
        /// HMAC-SHA256 tokens with expiry: `?exp=UNIX&token=HEX(HMAC(secret, "publish\n" + path + "\n" + exp))`;
        /// `sluice token` mints them.
        public var hmacSecret: String?
        public init() {}
    }

    /// Who may play (HLS, RTMP play, SRT play).
    public struct PlayAuth: Codable, Sendable, Equatable {
        /// Signed play URLs: `?exp=UNIX&token=HEX(HMAC(secret, "play\n" + path + "\n" + exp))`
        /// on the multivariant playlist; Sluice carries it on every URL the player follows.
        public var signingSecret: String?
        /// Follow-up URLs (media playlists, parts, segments) carry a token shared by every viewer
        /// of the stream, so a CDN caches one copy: it is valid this long (seconds) ...
        public var sharedTokenSeconds = 3600
        /// ... and its expiry is rounded up to a multiple of this (seconds): every viewer who
        /// joins within one window gets the same URLs.
        public var sharedTokenWindowSeconds = 600
        public init() {}
    }

    /// An HTTP endpoint asked to allow or deny each publish and play (like SRS's on_publish).
    /// POST JSON `{"action", "path", "query", "protocol", "remote"}`; any 2xx allows.
    public struct Webhook: Codable, Sendable, Equatable {
        /// Absent: no webhook.
        public var url: String?
        public var timeoutMs = 2000
        /// When the hook cannot be reached or times out: true allows, false refuses.
        public var failOpen = false
        /// Which actions are asked: `publish`, `play`.
        public var actions: [String] = ["publish", "play"]
        public init() {}
    }

    public struct Limits: Codable, Sendable, Equatable {
        /// Open connections of one IP address on each protocol; beyond it new ones are refused
        /// (0: no limit). Behind a CDN, its edges are few addresses: raise it or list them below.
        public var maxConnectionsPerIP = 256
        /// Addresses `maxConnectionsPerIP` does not apply to (loopback: local load tests, a
        /// reverse proxy on the same host).
        public var connectionLimitExempt: [String] = ["127.0.0.1", "::1"]
        /// Streams being published at once.
        public var maxPublishers = 64
        /// RTMP connections, all kinds.
        public var maxRTMPConnections = 1000
        /// HTTP connections; 0: the descriptor limit less 256.
        public var maxHTTPConnections = 0
        /// Bytes of one HTTP request head.
        public var maxHTTPRequestBytes = 16384
        /// A keep-alive HTTP connection with no request is closed after this.
        public var httpIdleSeconds = 60.0
        /// An RTMP publisher that sends nothing for this long is closed (SRT publishers: 10 s, fixed).
        public var publisherIdleSeconds = 30.0
        public init() {}
    }

    public struct Metrics: Codable, Sendable, Equatable {
        /// Prometheus text at `GET /metrics`.
        public var enabled = true
        /// true: `/metrics` needs the API token too.
        public var requireToken = false
        public init() {}
    }

    public struct Analytics: Codable, Sendable, Equatable {
        /// Unique viewers are counted exactly up to this many per stream, then estimated
        /// (HyperLogLog), so memory stays bounded.
        public var exactUniqueViewers = 10_000
        /// An HLS viewer with no request for this long has left (watch time ends).
        public var viewerTimeoutSeconds = 15.0
        public init() {}
    }

    /// Recording to disk: the packager's CMAF segments and a VOD playlist per rendition
    /// (Docs/Operations.md "Recording").
    public struct Recording: Codable, Sendable, Equatable {
        /// Record every stream (a `paths` rule's `record` overrides it; the API starts and stops too).
        public var enabled = false
        /// Root directory: `<directory>/<stream path>/<recording id>/`.
        public var directory = "recordings"
        /// Renditions recorded (`source`, `720p`, ...); empty: all.
        public var renditions: [String] = []
        /// Recordings older than this are removed (0: kept).
        public var maxAgeHours = 0.0
        /// The oldest recordings are removed while all together exceed this (MiB, 0: no limit).
        public var maxTotalMiB = 0
        /// A recording left unfinished by a crash is continued by its path's next publish within this.
        public var resumeWindowSeconds = 600.0
        /// Segments waiting for the disk (MiB); beyond it a segment is dropped and counted.
        public var queueMiB = 64
        public init() {}
    }

    public struct Dashboard: Codable, Sendable, Equatable {
        /// The operator's page at `/` (behind the API token).
        public var enabled = true
        /// hls.js ES module the dashboard's players load, served by Sluice at `/dashboard/hls.mjs`.
        /// Absent: looked for where `make` puts it (`.build/players/hls.js`).
        public var hlsjsPath: String?
        public init() {}
    }

    public struct Clips: Codable, Sendable, Equatable {
        /// `POST /api/v1/streams/{path}/clips` and `GET /clips/<id>.mp4`.
        public var enabled = true
        /// Where clips are written (created on the first clip).
        public var directory = "clips"
        /// The oldest clips are deleted beyond this many ...
        public var maxClips = 200
        /// ... or this many MiB in all.
        public var maxTotalMiB = 2048
        /// Longest clip (seconds between from and to).
        public var maxSpanSeconds = 600.0
        /// Cuts running at once (each on a thread of its own); one more request waits, the rest get 503.
        public var maxConcurrent = 2
        /// The recording directory (`<dir>/<path>/<recording id>/index.m3u8`) to cut from when the
        /// range is older than the live window. Absent: `recording.directory`.
        public var recordingDirectory: String?
        public init() {}
    }

    /// The WebRTC tier: WHEP playback and WHIP publishing on one UDP port (Docs/Protocols.md "WebRTC").
    public struct WebRTC: Codable, Sendable, Equatable {
        /// `POST /whep/...`, `POST /whip/...`, the UDP port, and an Opus rendition in every ladder.
        public var enabled = true
        /// The one UDP port every peer uses (ICE-lite, BUNDLE, rtcp-mux); 0 picks a free port.
        public var port = 8189
        /// The address written into SDP answers (the host's public IP behind NAT or in a container);
        /// absent: the address the WHEP/WHIP request arrived on.
        public var advertisedIP: String?
        /// WHEP viewers and WHIP publishers at once; beyond it a POST gets 503.
        public var maxSessions = 200
        /// The most a WHEP viewer's browser may hold a frame before showing it (the playout-delay
        /// RTP header extension, min 0): 0 shows each frame as soon as it is decoded; -1 sends no
        /// bound (the browser's own jitter buffer decides).
        public var playoutDelayMs = 0
        public init() {}
    }
}
