/// Gilbert–Elliott burst loss: a two-state Markov chain stepped once per packet. In the bad
/// state every packet is lost; in the good state none (Bernoulli `--loss` adds to it).
/// The mean burst is 1/pBadToGood packets; the long-run loss is pGoodToBad/(pGoodToBad+pBadToGood).
public struct GilbertElliott: Sendable, Equatable {
    public var pGoodToBad: Double
    public var pBadToGood: Double
    public private(set) var isBad = false

    public init(pGoodToBad: Double, pBadToGood: Double) {
        self.pGoodToBad = pGoodToBad
        self.pBadToGood = pBadToGood
    }

    /// Steps the chain with one draw in [0, 1); true if this packet is lost.
    public mutating func step(draw: Double) -> Bool {
        isBad = isBad ? draw >= pBadToGood : draw < pGoodToBad
        return isBad
    }
}
