/// Why an SRT caller is turned away: the SRT_REJX code it gets and the reason for our log.
struct SRTRefusal: Error {
    var code: Int32
    var reason: String
}
