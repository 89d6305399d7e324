import FFmpegBridge
import NIOCore

/// Cuts a clip from a `ClipSource` into one MP4 file: plans the segments, streams the init
/// segment and those segments into `ClipCutter` (no re-encode). Blocking: run on a thread of
/// its own.
public enum Clipper {
    public struct Result: Sendable, Equatable {
        public var rendition: String
        public var duration: Double
        /// Wall clock (µs) of the clip's first frame, when the source has one.
        public var startWallClock: Int64?
        public var videoFrames: Int
        public var audioPackets: Int
    }

    /// `origin`: wall clock (µs) of program time 0 instead of the source's own.
    public static func cut(_ source: some ClipSource, from: ClipTime, to: ClipTime, maxSpan: Double,
                           output: String, origin: Int64? = nil) throws -> Result {
        var listing = try source.listing()
        if let origin { listing.origin = origin }
        let plan = try ClipPlan.make(listing, from: from, to: to, maxSpan: maxSpan)
        let segments = listing.segments[plan.segments]
        guard let initURI = segments.first?.initURI else {
            throw ClipError(.source, "the source's segments have no EXT-X-MAP (only fMP4 HLS can be cut)")
        }
        let feed = Feed(uris: [initURI] + segments.map(\.uri), source: source)
        let cut: ClipCutter.Result
        do {
            cut = try ClipCutter.cut(from: plan.from, to: plan.to, output: output, read: feed.read)
        } catch {
            // A segment that could not be read explains an early end better than the cutter does.
            if let failure = feed.failure { throw failure }
            if let e = error as? ClipCutter.NothingInRange { throw ClipError(.notAvailable, e.description) }
            throw ClipError(.source, "\(error)")
        }
        if let failure = feed.failure { throw failure }
        return Result(rendition: listing.rendition, duration: cut.duration,
                      startWallClock: plan.firstSegmentWallClock.map { $0 + Int64(cut.start * 1e6) },
                      videoFrames: cut.videoFrames, audioPackets: cut.audioPackets)
    }

    /// Hands the demuxer the init segment and then each segment, fetched when it is reached.
    private final class Feed {
        let uris: [String]
        let source: any ClipSource
        var next = 0
        var current = ByteBuffer()
        var failure: (any Error)?

        init(uris: [String], source: any ClipSource) {
            self.uris = uris
            self.source = source
        }

        func read(_ into: UnsafeMutableRawBufferPointer) -> Int {
            while current.readableBytes == 0 {
                guard failure == nil, next < uris.count else { return 0 }
                do { current = try source.bytes(uris[next]) } catch {
                    failure = error
                    return 0
                }
                next += 1
            }
            let n = min(into.count, current.readableBytes)
            current.withUnsafeReadableBytes { raw in into.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(n))) }
            current.moveReaderIndex(forwardBy: n)
            return n
        }
    }
}
