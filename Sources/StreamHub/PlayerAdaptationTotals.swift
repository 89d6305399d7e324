/// Moves and skips of a stream's players, the ones that left included.
public struct PlayerAdaptationTotals: Sendable, Equatable {
    public var movesDown = 0
    public var movesUp = 0
    public var keyframeSkips = 0

    public init() {}

    mutating func add(_ p: PlayerStatus) {
        movesDown += p.movesDown
        movesUp += p.movesUp
        keyframeSkips += p.keyframeSkips
    }
}
