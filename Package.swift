// swift-tools-version: 6.1
import Foundation
import PackageDescription

// `make tsan` sets SLUICE_TSAN: our targets then lock with pthreads, which ThreadSanitizer sees
// (Docs/Development.md); dependencies build exactly as usual.
let tsan: [SwiftSetting] = ProcessInfo.processInfo.environment["SLUICE_TSAN"] != nil ? [.define("SLUICE_TSAN")] : []
let settings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")] + tsan

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")

let package = Package(
    name: "Sluice",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "sluice", targets: ["sluice"]),
        // For Benchmarks/ (separate packages that depend on this one by path).
        .library(name: "SluiceIngest", targets: ["MediaCore", "StreamHub", "RTMP", "Ingest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        // Latency percentiles in bounded memory, however many samples (bench viewers, probe).
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        // Operations (Docs/Operations.md): the configuration file, HMAC keys and tokens, the
        // access webhook, Prometheus metrics.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // C libraries from Debian, found through pkg-config.
        .systemLibrary(name: "CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavcodec-dev", "libavformat-dev", "libavutil-dev", "libswscale-dev", "libswresample-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CSRT", pkgConfig: "srt", providers: [.apt(["libsrt-gnutls-dev"])]),
        // gzip for playlists: Foundation has no zlib API on Linux.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // What Swift cannot import: function-like macros, variadics, va_list callbacks.
        .target(name: "CMediaShims", dependencies: ["CFFmpeg", "COpus"]),

        .target(name: "MediaCore", dependencies: [nioCore], swiftSettings: settings),
        // The YAML configuration: schema with defaults, loader with line-numbered errors.
        .target(name: "Config", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: settings),
        // Publisher bitrate controller and its link simulator: pure, no dependencies.
        .target(name: "BitrateControl", swiftSettings: settings),
        .target(name: "Bitstream", dependencies: ["MediaCore", nioCore], swiftSettings: settings),
        .target(name: "FFmpegBridge", dependencies: ["CFFmpeg", "CMediaShims", "MediaCore", logging], swiftSettings: settings),
        .target(name: "OpusCodec", dependencies: ["COpus", "CMediaShims"], swiftSettings: settings),
        .target(name: "SRTTransport", dependencies: ["CSRT"], swiftSettings: settings),
        // `sluice shape`'s link model: schedule, queue, delay and loss on an injected clock.
        .target(name: "LinkShaper", swiftSettings: settings),
        .target(name: "StreamHub", dependencies: ["MediaCore", nioCore], swiftSettings: settings),
        // Publish keys, signed play URLs, the access webhook, per-IP limits (Docs/Operations.md, Security model).
        .target(name: "Access", dependencies: [
            "Config", logging, nioCore,
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ], swiftSettings: settings),
        .target(name: "RTMP", dependencies: ["MediaCore", "Bitstream", nioCore], swiftSettings: settings),
        .target(name: "Ingest", dependencies: ["Access", "RTMP", "StreamHub", "MediaCore", "Bitstream", "FFmpegBridge", "SRTTransport", nioCore, nioPosix, logging], swiftSettings: settings),
        .target(name: "Transcode", dependencies: ["FFmpegBridge", "OpusCodec", "MediaCore", "Bitstream", "StreamHub", logging], swiftSettings: settings),
        .target(name: "HLS", dependencies: ["FFmpegBridge", "MediaCore", "Bitstream", "StreamHub", logging], swiftSettings: settings),
        // Viewer-side ABR: estimators, policies and the trace-driven simulator; pure, no I/O.
        .target(name: "ABR", swiftSettings: settings),
        .target(name: "LatencyProbe", dependencies: [
            "ABR", "Bitstream", "FFmpegBridge", "HLS", "MediaCore", nioCore,
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ], swiftSettings: settings),
        // sluice push: the contribution encoder (input, x264, own SRT/RTMP transports, controller).
        .target(name: "Uplink", dependencies: [
            "BitrateControl", "Bitstream", "CMediaShims", "FFmpegBridge", "LatencyProbe", "MediaCore", "RTMP", "SRTTransport",
            "StreamHub", nioCore,
        ], swiftSettings: settings),
        // WebRTC (Docs/Protocols.md): STUN, SDP, RTP/RTCP, pure.
        .target(name: "WebRTC", dependencies: ["CZlib", .product(name: "Crypto", package: "swift-crypto")], swiftSettings: settings),
        // DTLS 1.2 (OpenSSL) and SRTP (libsrtp2) behind a small C API.
        .target(name: "CWebRTC", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto"), .linkedLibrary("srtp2")]),
        // The WebRTC tier: one UDP port, ICE-lite, DTLS-SRTP, WHEP/WHIP sessions.
        .target(name: "WebRTCServer", dependencies: ["WebRTC", "CWebRTC", "StreamHub", "MediaCore", "Bitstream", logging, nioCore, nioPosix],
                swiftSettings: settings),
        .target(name: "Origin", dependencies: [
            "Access", "HLS", "StreamHub", "MediaCore", "CZlib", logging, nioCore,
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], resources: [
            // The web player and Sluice's hls.js ABR controller, compiled into the binary.
            .embedInCode("Player/player.html"), .embedInCode("Player/sluice-abr.js"),
            // Glass-to-glass from the pixel clock in rendered frames (/player/latency).
            .embedInCode("Player/latency.html"), .embedInCode("Player/latency.js"),
        ], swiftSettings: settings),
        .target(name: "Server", dependencies: [
            "Access", "Ingest", "Transcode", "HLS", "Origin", "StreamHub", "FFmpegBridge", "Config", logging, nioCore,
            "WebRTCServer", // WHEP/WHIP routes and the WebRTC pages (Docs/Protocols.md "WebRTC")
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Metrics", package: "swift-metrics"), .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "Hummingbird", package: "hummingbird"),
        ], resources: [
            // The operator's dashboard page, compiled into the binary.
            .embedInCode("Dashboard/dashboard.html"),
            // WHEP player, "go on stage" page and their client (/player/webrtc, /player/stage).
            .embedInCode("WebRTC/webrtc.html"), .embedInCode("WebRTC/stage.html"), .embedInCode("WebRTC/whep.js"),
            // The pixel clock published over WHIP from a canvas (/player/clock).
            .embedInCode("WebRTC/clock.html"),
        ], swiftSettings: settings),

        .executableTarget(name: "sluice", dependencies: [
            "Server", "FFmpegBridge", "OpusCodec", "SRTTransport", "LatencyProbe", "BitrateControl", "LinkShaper", "ABR", nioCore, nioPosix,
            "Uplink", "Config", "Access",
            "WebRTC", "WebRTCServer", // bench whep: simulated WHEP viewers (WebRTCClientPeer)
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // bench viewers --serve-file: a looped file as a live LL-HLS origin to measure.
            "HLS", "Origin", "StreamHub", "MediaCore",
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            logging,
        ], swiftSettings: settings),

        .testTarget(name: "MediaCoreTests", dependencies: ["MediaCore"], swiftSettings: settings),
        .testTarget(name: "ConfigTests", dependencies: ["Config"], swiftSettings: settings),
        .testTarget(name: "AccessTests", dependencies: ["Access", "Config", "SRTTransport"], swiftSettings: settings),
        .testTarget(name: "UplinkTests", dependencies: ["Uplink", "StreamHub", "BitrateControl", "Bitstream", "FFmpegBridge", "LatencyProbe"], swiftSettings: settings),
        .testTarget(name: "BitrateControlTests", dependencies: ["BitrateControl"], swiftSettings: settings),
        .testTarget(name: "FFmpegBridgeTests", dependencies: ["FFmpegBridge", "CMediaShims", "MediaCore", "TestSupport", logging], swiftSettings: settings),
        .testTarget(name: "OpusCodecTests", dependencies: ["OpusCodec", "SRTTransport"], swiftSettings: settings),
        // Shared by the interop tests: external clients (ffmpeg, ffprobe, players) and bounded waits.
        .target(name: "TestSupport", dependencies: ["FFmpegBridge", "MediaCore", nioCore], path: "Tests/TestSupport", swiftSettings: settings),
        .testTarget(name: "SRTTests", dependencies: ["TestSupport", "Access", "Ingest", "SRTTransport", "StreamHub", "MediaCore", "Bitstream", logging], swiftSettings: settings),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport", "Server", "Ingest", "Access", "Config", nioCore, nioPosix,
                                                     .product(name: "NIOHTTP1", package: "swift-nio"), "Transcode", "HLS", "LatencyProbe", logging], swiftSettings: settings),
        .testTarget(name: "ABRTests", dependencies: ["ABR"], exclude: ["Resources"], swiftSettings: settings),
        // The hls.js controller's JavaScript against the Swift policy (node), the probe's ABR player.
        .testTarget(name: "ABRPlayerTests", dependencies: ["ABR", "LatencyProbe", "Origin", "TestSupport"], exclude: ["Resources"],
                    swiftSettings: settings),
        .testTarget(name: "LatencyProbeTests", dependencies: ["LatencyProbe", "Bitstream", "FFmpegBridge", "MediaCore", "Transcode"], swiftSettings: settings),
        .testTarget(name: "LinkShaperTests", dependencies: ["LinkShaper", "TestSupport", "MediaCore", nioCore, nioPosix], swiftSettings: settings),
        .testTarget(name: "WebRTCTests", dependencies: ["WebRTC"], swiftSettings: settings),
        .testTarget(name: "WebRTCServerTests", dependencies: ["WebRTCServer", "WebRTC", "CWebRTC", "TestSupport", "StreamHub", "MediaCore", nioCore, nioPosix, logging],
                    swiftSettings: settings),
        .testTarget(name: "StreamHubTests", dependencies: ["StreamHub", "MediaCore"], swiftSettings: settings),
        .testTarget(name: "RTMPTests", dependencies: [
            "RTMP", "MediaCore", nioCore,
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOTestUtils", package: "swift-nio"),
        ], swiftSettings: settings),
        .testTarget(name: "IngestTests", dependencies: [
            "TestSupport", "Access", "Ingest", "RTMP", "StreamHub", "MediaCore", "Server", "FFmpegBridge", nioCore, nioPosix, logging,
            .product(name: "NIOEmbedded", package: "swift-nio"),
        ], swiftSettings: settings),
        .testTarget(name: "BitstreamTests", dependencies: ["Bitstream", "MediaCore"], swiftSettings: settings),
        .testTarget(name: "TranscodeTests", dependencies: ["Transcode", "FFmpegBridge", "StreamHub", "MediaCore", "Bitstream", logging], swiftSettings: settings),
        .testTarget(name: "HLSTests", dependencies: ["TestSupport", "HLS", "FFmpegBridge", "StreamHub", "MediaCore", "Bitstream", nioCore],
                    swiftSettings: settings),
        .testTarget(name: "OriginTests", dependencies: ["Access", 
            "TestSupport", "Origin", "HLS", "StreamHub", "FFmpegBridge", "MediaCore", nioCore, "CZlib",
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"), logging,
        ], swiftSettings: settings),
    ],
    swiftLanguageModes: [.v6]
)
