import Foundation
import MediaCore
import Synchronization

/// The timed events of one stream: bounded in count, size and rate, and the recent source
/// frames they are pinned to. Written by the API and by the source rendition's packager
/// thread (frames); read by every rendition when it cuts a part and by whoever renders the
/// events later (playlists, recordings: `all`).
public final class EventStore: Sendable {
    public struct Limits: Sendable {
        /// Payload bytes (UTF-8 JSON).
        public var maxPayloadBytes = 4096
        public var maxTypeLength = 64
        public var maxIDLength = 64
        /// Token bucket per stream: `burst` at once, refilled at `perSecond`.
        public var burst = 10.0
        public var perSecond = 10.0
        /// Events kept; the oldest goes first.
        public var capacity = 256
        /// How far ahead of the newest frame `at` may point (seconds).
        public var maxAhead = 30.0
        public init() {}
    }

    /// Where the caller pins the event.
    public enum At: Sendable, Equatable {
        /// The newest source video frame ingested.
        case now
        /// Program time in seconds (the source's pts).
        case pts(Double)
        /// A frame's ingest wall clock, µs since the epoch (its EXT-X-PROGRAM-DATE-TIME).
        case wallClock(Int64)
    }

    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        case rateLimited
        case noFrame(String)

        public var description: String {
            switch self {
            case .invalid(let why), .noFrame(let why): why
            case .rateLimited: "too many events for this stream (at most the burst, then a steady rate per second)"
            }
        }
    }

    /// A source video frame: program time and ingest wall clock.
    public struct Frame: Sendable, Equatable {
        public var pts: Double
        public var wallClock: Int64
    }

    public let limits: Limits
    private let now: @Sendable () -> Int64
    private let state = Mutex(State())
    /// About 34 s of 60 fps frames.
    static let maxFrames = 2048

    struct State {
        var events: [TimedEvent] = []
        var frames: [Frame] = []
        var frameStart = 0
        var nextSequence: UInt32 = 1
        var tokens = 0.0
        var refilled: Int64 = 0
        var started = false
    }

    public init(limits: Limits = Limits(), now: @escaping @Sendable () -> Int64 = WallClock.nowMicros) {
        self.limits = limits
        self.now = now
    }

    /// Every event kept, in the order accepted.
    public var all: [TimedEvent] { state.withLock { $0.events } }

    /// The newest source video frame, if any.
    public var latestFrame: Frame? {
        state.withLock { s in s.frames.isEmpty ? nil : s.frames[(s.frameStart + s.frames.count - 1) % s.frames.count] }
    }

    /// Called for each source video frame (the source rendition's packager thread).
    public func recordFrame(pts: Double, wallClock: Int64) {
        state.withLock { s in
            let f = Frame(pts: pts, wallClock: wallClock)
            if s.frames.count < Self.maxFrames {
                s.frames.append(f)
            } else {
                s.frames[s.frameStart] = f
                s.frameStart = (s.frameStart + 1) % Self.maxFrames
            }
        }
    }

    /// The source timeline restarted (a new publisher): frames of the old one no longer resolve.
    public func forgetFrames() {
        state.withLock { s in
            s.frames = []
            s.frameStart = 0
        }
    }

    /// Validates, pins and keeps an event.
    public func post(at: At, type: String, payload: String, id: String? = nil) throws(Refusal) -> TimedEvent {
        try validate(type: type, payload: payload, id: id)
        let received = now()
        return try state.withLock { s throws(Refusal) -> TimedEvent in
            // Token bucket: `burst` at once, `perSecond` after.
            if !s.started {
                s.tokens = limits.burst
                s.refilled = received
                s.started = true
            } else {
                s.tokens = min(limits.burst, s.tokens + Double(max(0, received - s.refilled)) / 1e6 * limits.perSecond)
                s.refilled = received
            }
            let frame = try Self.resolve(at, frames: ordered(s), maxAhead: limits.maxAhead)
            if let id, s.events.contains(where: { $0.id == id }) { throw .invalid("an event with id \(id) exists") }
            guard s.tokens >= 1 else { throw .rateLimited }
            s.tokens -= 1
            let sequence = s.nextSequence
            s.nextSequence = s.nextSequence == .max ? 1 : s.nextSequence + 1
            let event = TimedEvent(id: id ?? "ev-\(sequence)", sequence: sequence, type: type, payload: payload,
                                   pts: frame.pts, programDateTime: frame.wallClock, receivedAt: received)
            s.events.append(event)
            if s.events.count > limits.capacity { s.events.removeFirst(s.events.count - limits.capacity) }
            return event
        }
    }

    private func ordered(_ s: State) -> [Frame] {
        Array(s.frames[s.frameStart...] + s.frames[..<s.frameStart])
    }

    private func validate(type: String, payload: String, id: String?) throws(Refusal) {
        func token(_ s: String, _ name: String, _ max: Int) throws(Refusal) {
            guard !s.isEmpty, s.utf8.count <= max else { throw .invalid("\(name) must be 1 to \(max) characters") }
            guard s.utf8.allSatisfy({ $0 < 128 && (Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber
                                                      || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")) })
            else { throw .invalid("\(name) may hold only letters, digits, '-', '_' and '.'") }
        }
        try token(type, "type", limits.maxTypeLength)
        if let id { try token(id, "id", limits.maxIDLength) }
        guard payload.utf8.count <= limits.maxPayloadBytes else {
            throw .invalid("payload is \(payload.utf8.count) bytes; at most \(limits.maxPayloadBytes)")
        }
    }

    /// The frame `at` names: the newest one, the nearest recorded one, or a time ahead of the
    /// newest (up to `maxAhead`), extrapolated from it.
    static func resolve(_ at: At, frames: [Frame], maxAhead: Double) throws(Refusal) -> Frame {
        guard let newest = frames.last, let oldest = frames.first else { throw .noFrame("the stream has no video frame yet") }
        switch at {
        case .now:
            return newest
        case .pts(let t):
            guard t.isFinite else { throw .invalid("at must be a finite number of seconds") }
            if t > newest.pts {
                guard t - newest.pts <= maxAhead else { throw .noFrame("at \(t) s is more than \(maxAhead) s ahead of the newest frame (\(newest.pts) s)") }
                return Frame(pts: t, wallClock: newest.wallClock + Int64((t - newest.pts) * 1e6))
            }
            guard t >= oldest.pts - 0.5 else { throw .noFrame("at \(t) s is older than the frames kept (from \(oldest.pts) s)") }
            return nearest(frames) { abs($0.pts - t) }
        case .wallClock(let w):
            if w > newest.wallClock {
                let ahead = Double(w - newest.wallClock) / 1e6
                guard ahead <= maxAhead else { throw .noFrame("at is more than \(maxAhead) s ahead of the newest frame") }
                return Frame(pts: newest.pts + ahead, wallClock: w)
            }
            guard w >= oldest.wallClock - 500_000 else { throw .noFrame("at is older than the frames kept") }
            return nearest(frames) { Double(abs($0.wallClock - w)) }
        }
    }

    private static func nearest(_ frames: [Frame], by distance: (Frame) -> Double) -> Frame {
        var best = frames[0]
        var bestDistance = distance(best)
        for f in frames.dropFirst() where distance(f) < bestDistance {
            best = f
            bestDistance = distance(f)
        }
        return best
    }
}
