import Synchronization

/// The session's live counters, shared by its threads.
final class StatsRecorder: Sendable {
    private let stats = Mutex(TranscodeStats())

    var snapshot: TranscodeStats { stats.withLock { $0 } }

    func update(_ body: (inout TranscodeStats) -> Void) {
        stats.withLock { body(&$0) }
    }

    func addRung(_ rung: RungStats) {
        stats.withLock { s in
            if let i = s.rungs.firstIndex(where: { $0.name == rung.name }) { s.rungs[i] = rung } else { s.rungs.append(rung) }
        }
    }

    func updateRung(_ name: String, _ body: (inout RungStats) -> Void) {
        stats.withLock { s in
            if let i = s.rungs.firstIndex(where: { $0.name == name }) { body(&s.rungs[i]) }
        }
    }

    func updateAudio(_ name: String, _ body: (inout AudioRenditionStats) -> Void) {
        stats.withLock { s in
            if let i = s.audio.firstIndex(where: { $0.name == name }) {
                body(&s.audio[i])
            } else {
                var a = AudioRenditionStats(name: name)
                body(&a)
                s.audio.append(a)
            }
        }
    }
}
