#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import Transcode

@Suite struct ThreadPriorityTests {
    /// The rungs run below the decode thread, the lower rungs lower still, so an overloaded
    /// machine drops rung frames before the decoder (which feeds every rung) falls behind.
    @Test func rungsRunBelowTheDecoderTopRungFirst() throws {
        let (track, units) = try SyntheticMedia.video(frames: 10)
        let config = try testConfiguration()
        let seen = Mutex<[String: Int32]>([:])
        // The sink runs on each rung's encoder thread.
        let collector = RenditionCollector { _, rendition in
            let nice = currentNice()
            seen.withLock { if $0[rendition] == nil { $0[rendition] = nice } }
        }
        let session = TranscodeSession(configuration: config, sink: collector)
        session.start()
        for e in events(track, units) { session.push(e) }
        session.finish()
        let base = currentNice()
        let nice = seen.withLock { $0 }
        #expect(nice["240p"] == min(19, base + 1))
        #expect(nice["180p"] == min(19, base + 2))
        #expect(nice["120p"] == min(19, base + 3))
        #expect(ThreadPriority.rungOffset(index: 9) == 4)
    }
}

private func currentNice() -> Int32 {
    errno = 0
    return getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
}
