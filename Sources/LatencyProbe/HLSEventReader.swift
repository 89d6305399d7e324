import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import HLS
import MediaCore

/// `sluice probe --events`: reads every rendition of an LL-HLS stream as a low-latency player
/// does (blocking reloads, every part from the live edge) and, for each timed event (emsg ID3)
/// found in a part, compares the frame the event is pinned to with the frame a virtual player
/// presents at the moment the part arrives. The virtual player joins at the live edge, plays
/// PART-HOLD-BACK behind it in real time, and stalls when its buffer runs dry.
public struct HLSEventReader: Sendable {
    public var url: URL

    public init(url: URL) { self.url = url }

    /// One event as one rendition delivered it.
    public struct Sighting: Sendable, Codable, Equatable {
        public var rendition: String
        public var id: String
        public var type: String
        /// The event's presentation time (emsg), seconds.
        public var eventTime: Double
        /// Presentation time of the frame the virtual player showed when the part arrived.
        public var presentedTime: Double
        /// eventTime − presentedTime: ≥ 0 means the player had the event before its frame was due.
        public var leadSeconds: Double { eventTime - presentedTime }
        /// The same in frames of the rendition (nil without a frame rate).
        public var frameRate: Double?
        public var leadFrames: Double? { frameRate.map { leadSeconds * $0 } }
        /// Whether the event's time is the presentation time of a video sample of its part.
        public var onAFrame: Bool?
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    struct Variant: Sendable {
        var name: String
        var url: URL
        var frameRate: Double?
    }

    /// Reads for `seconds`; calls `seen` for each event (per rendition) as it arrives.
    public func run(seconds: Double, seen: @escaping @Sendable (Sighting) -> Void) async throws -> [Sighting] {
        let (first, _) = try await get(url)
        let text = String(decoding: first, as: UTF8.self)
        var variants = [Variant(name: "media", url: url, frameRate: nil)]
        if PlaylistReader.isMultivariant(text) {
            let listed = try PlaylistReader.multivariant(text)
            variants = listed.enumerated().compactMap { i, v in
                URL(string: v.uri, relativeTo: url).map { Variant(name: v.name ?? "variant\(i)", url: $0.absoluteURL, frameRate: v.frameRate) }
            }
            guard !variants.isEmpty else { throw Failure(description: "no variant in \(url)") }
        }
        return try await withThrowingTaskGroup(of: [Sighting].self) { group in
            for v in variants { group.addTask { try await self.read(v, seconds: seconds, seen: seen) } }
            var all: [Sighting] = []
            for try await s in group { all += s }
            return all
        }
    }

    func get(_ url: URL) async throws -> (Data, Double) {
        let (data, response) = try await URLSession.shared.data(from: url)
        guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
            throw Failure(description: "GET \(url): status \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        return (data, Self.now())
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// The virtual player of one rendition.
    struct Playout {
        var joinedAt: Double
        var start: Double
        var stalled = 0.0
        var bufferedEnd: Double

        /// The presented time at wall time `now`, counting a stall while the buffer is empty.
        mutating func presented(at now: Double) -> Double {
            let t = start + (now - joinedAt) - stalled
            if t > bufferedEnd {
                stalled += t - bufferedEnd
                return bufferedEnd
            }
            return t
        }
    }

    private func read(_ v: Variant, seconds: Double, seen: @Sendable (Sighting) -> Void) async throws -> [Sighting] {
        let deadline = Self.now() + seconds
        var out: [Sighting] = []
        var last: (msn: Int, part: Int)? = nil
        var query: String? = nil
        var track: (id: UInt32, timescale: UInt32)?
        var mapURI: String?
        var playout: Playout?
        while Self.now() < deadline {
            var components = URLComponents(url: v.url, resolvingAgainstBaseURL: true)!
            components.percentEncodedQuery = query
            let (body, _) = try await get(components.url!)
            let media = try PlaylistReader.media(String(decoding: body, as: UTF8.self))
            var parts: [(msn: Int, part: Int, uri: String, duration: Double, map: String?)] = []
            for s in media.segments {
                for (i, p) in s.parts.enumerated() { parts.append((s.msn, i, p.uri, p.duration, s.map)) }
            }
            guard let newest = parts.last else {
                try await Task.sleep(for: .milliseconds(200))
                continue
            }
            let fresh = last == nil ? [newest] : parts.filter { ($0.msn, $0.part) > (last!.msn, last!.part) }
            for p in fresh {
                if let map = p.map ?? media.segments.last(where: { $0.map != nil })?.map, map != mapURI, let u = URL(string: map, relativeTo: v.url) {
                    let (initData, _) = try await get(u.absoluteURL)
                    track = try MP4BoxReader.videoTrack(initSegment: Array(initData)[...])
                    mapURI = map
                }
                guard let track, let u = URL(string: p.uri, relativeTo: v.url) else { continue }
                let (data, arrival) = try await get(u.absoluteURL)
                let bytes = Array(data)[...]
                guard let tfdt = try MP4BoxReader.baseMediaDecodeTime(fragment: bytes, trackID: track.id) else { continue }
                let partStart = Double(tfdt) / Double(track.timescale)
                if playout == nil {
                    // Join: play PART-HOLD-BACK behind the end of the newest part.
                    let holdBack = media.partHoldBack ?? 3 * (media.partTarget ?? 0.5)
                    playout = Playout(joinedAt: arrival, start: partStart + p.duration - holdBack, bufferedEnd: partStart + p.duration)
                }
                let presented = playout!.presented(at: arrival)
                playout!.bufferedEnd = max(playout!.bufferedEnd, partStart + p.duration)
                for box in try MP4BoxReader.boxes(bytes) where box.type == "emsg" {
                    guard let emsg = try? EventMessageBox(parsing: box.box), emsg.schemeIDURI == EventMessageBox.id3Scheme,
                          let tag = try? ID3Tag.parseTXXX(emsg.messageData[...]) else { continue }
                    let json = (try? JSONSerialization.jsonObject(with: Data(tag.value.utf8))) as? [String: Any]
                    let time = Double(emsg.presentationTime) / Double(emsg.timescale)
                    let s = Sighting(rendition: v.name, id: json?["id"] as? String ?? "\(emsg.id)", type: json?["type"] as? String ?? "",
                                     eventTime: time, presentedTime: presented, frameRate: v.frameRate,
                                     onAFrame: try? Self.isSampleTime(time, fragment: bytes, track: track))
                    out.append(s)
                    seen(s)
                }
            }
            last = (newest.msn, newest.part)
            query = "_HLS_msn=\(newest.msn)&_HLS_part=\(newest.part + 1)"
        }
        return out
    }

    /// Whether `time` is the presentation time of one of the fragment's video samples (from
    /// tfdt and the trun's durations and composition offsets).
    static func isSampleTime(_ time: Double, fragment: ArraySlice<UInt8>, track: (id: UInt32, timescale: UInt32)) throws -> Bool {
        guard let moof = try MP4BoxReader.boxes(fragment).first(where: { $0.type == "moof" }) else { return false }
        for traf in try MP4BoxReader.children(moof.box) where traf.type == "traf" {
            let inner = try MP4BoxReader.children(traf.box)
            guard let tfhd = inner.first(where: { $0.type == "tfhd" }), let tfdt = inner.first(where: { $0.type == "tfdt" }),
                  let trun = inner.first(where: { $0.type == "trun" }) else { continue }
            var h = MP4BoxReader(tfhd.box.dropFirst(8))
            let tfhdFlags = try h.u32() & 0xFFFFFF
            guard try h.u32() == track.id else { continue }
            if tfhdFlags & 0x1 != 0 { _ = try h.bytes(8) }
            if tfhdFlags & 0x2 != 0 { _ = try h.bytes(4) }
            let defaultDuration = tfhdFlags & 0x8 != 0 ? try h.u32() : 0
            var d = MP4BoxReader(tfdt.box.dropFirst(8))
            let version = try d.u8()
            _ = try d.bytes(3)
            var dts = Int64(version == 1 ? UInt64(try d.u32()) << 32 | UInt64(try d.u32()) : UInt64(try d.u32()))
            var r = MP4BoxReader(trun.box.dropFirst(8))
            let flags = try r.u32() & 0xFFFFFF
            let count = try r.u32()
            if flags & 0x1 != 0 { _ = try r.bytes(4) }
            if flags & 0x4 != 0 { _ = try r.bytes(4) }
            let target = Int64((time * Double(track.timescale)).rounded())
            for _ in 0..<min(count, 100_000) {
                let duration = flags & 0x100 != 0 ? try r.u32() : defaultDuration
                if flags & 0x200 != 0 { _ = try r.bytes(4) }
                if flags & 0x400 != 0 { _ = try r.bytes(4) }
                let cts = flags & 0x800 != 0 ? Int64(Int32(bitPattern: try r.u32())) : 0
                if dts + cts == target { return true }
                dts += Int64(duration)
            }
            return false
        }
        return false
    }
}
