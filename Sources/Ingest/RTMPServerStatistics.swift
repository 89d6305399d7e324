import Synchronization

/// Counters for the RTMP server since it started, for logs, metrics and tests.
public final class RTMPServerStatistics: Sendable {
    let connections = Atomic<Int>(0)
    let publishes = Atomic<Int>(0)
    let plays = Atomic<Int>(0)
    let timestampRepairs = Atomic<Int>(0)
    let closedForBadInput = Atomic<Int>(0)
    let takeovers = Atomic<Int>(0)
    let playerUnitsDropped = Atomic<Int>(0)
    let closedForTimeout = Atomic<Int>(0)
    let refusedConnections = Atomic<Int>(0)
    let readPauses = Atomic<Int>(0)
    let playerMovesDown = Atomic<Int>(0)
    let playerMovesUp = Atomic<Int>(0)
    let playerKeyframeSkips = Atomic<Int>(0)

    public init() {}

    public struct Snapshot: Sendable, Equatable {
        public var connections: Int
        public var publishes: Int
        public var plays: Int
        /// DTS values a publisher sent out of order or with a jump, repaired instead of failing.
        public var timestampRepairs: Int
        /// Connections closed for malformed or oversized input.
        public var closedForBadInput: Int
        /// Publishers replaced by a new publisher on the same path.
        public var takeovers: Int
        /// Media units players lost because they read slower than the stream (counted when they leave).
        public var playerUnitsDropped: Int
        /// Connections closed by a read, session-start or write-stall timeout.
        public var closedForTimeout: Int
        /// Connections closed on accept because `maxConnections` were open.
        public var refusedConnections: Int
        /// Times a connection stopped being read because its peer did not read our writes.
        public var readPauses: Int
        /// Players moved to a lower / higher rendition by their send-delay control.
        public var playerMovesDown: Int
        public var playerMovesUp: Int
        /// Times a player's queued media was dropped up to the next keyframe.
        public var playerKeyframeSkips: Int
    }

    public var snapshot: Snapshot {
        Snapshot(connections: connections.load(ordering: .relaxed), publishes: publishes.load(ordering: .relaxed),
                 plays: plays.load(ordering: .relaxed), timestampRepairs: timestampRepairs.load(ordering: .relaxed),
                 closedForBadInput: closedForBadInput.load(ordering: .relaxed), takeovers: takeovers.load(ordering: .relaxed),
                 playerUnitsDropped: playerUnitsDropped.load(ordering: .relaxed),
                 closedForTimeout: closedForTimeout.load(ordering: .relaxed),
                 refusedConnections: refusedConnections.load(ordering: .relaxed),
                 readPauses: readPauses.load(ordering: .relaxed),
                 playerMovesDown: playerMovesDown.load(ordering: .relaxed),
                 playerMovesUp: playerMovesUp.load(ordering: .relaxed),
                 playerKeyframeSkips: playerKeyframeSkips.load(ordering: .relaxed))
    }
}
