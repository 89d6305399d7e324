extension Double {
    /// AMF numbers come from the peer: NaN, infinities and huge values must not trap.
    var saturatingInt: Int {
        guard isFinite else { return 0 }
        return Int(Swift.max(Swift.min(self, 1e15), -1e15))
    }
}
