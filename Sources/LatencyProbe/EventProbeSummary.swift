/// What `sluice probe --events` concludes: per event, whether every rendition pinned it to the
/// same time, and how early (or late) the events arrived against the virtual player.
public struct EventProbeSummary: Codable, Sendable {
    public var events: Int
    public var sightings: Int
    public var renditions: [String]
    /// Events seen on more than one rendition whose times differ between renditions.
    public var timeMismatches: Int
    /// Sightings whose time is not a video sample's presentation time.
    public var offFrame: Int
    /// Sightings that arrived after their frame was presented.
    public var late: Int
    public var minLeadMs: Double
    public var medianLeadMs: Double
    public var maxLeadMs: Double
    /// The worst presentation error a player would make: how late the latest event was (0 if none).
    public var worstLateMs: Double

    public init?(_ sightings: [HLSEventReader.Sighting]) {
        guard !sightings.isEmpty else { return nil }
        let byID = Dictionary(grouping: sightings, by: \.id)
        events = byID.count
        self.sightings = sightings.count
        renditions = Array(Set(sightings.map(\.rendition))).sorted()
        timeMismatches = byID.values.filter { group in
            let times = group.map(\.eventTime)
            return (times.max()! - times.min()!) > 0.0005
        }.count
        offFrame = sightings.filter { $0.onAFrame != true }.count
        late = sightings.filter { $0.leadSeconds < 0 }.count
        let leads = sightings.map { $0.leadSeconds * 1000 }.sorted()
        minLeadMs = leads.first!
        medianLeadMs = leads[leads.count / 2]
        maxLeadMs = leads.last!
        worstLateMs = max(0, -minLeadMs)
    }

    public var text: String {
        func ms(_ v: Double) -> String { String(Int(v.rounded())) }
        return "\(events) events, \(sightings) sightings on \(renditions.joined(separator: ", ")); "
            + "same time on every rendition: \(timeMismatches == 0 ? "yes" : "NO (\(timeMismatches) differ)"); "
            + "on a video frame: \(sightings - offFrame)/\(sightings); "
            + "arrived ahead of their frame by min \(ms(minLeadMs)) / median \(ms(medianLeadMs)) / max \(ms(maxLeadMs)) ms; "
            + "late: \(late) (worst \(ms(worstLateMs)) ms)"
    }
}
