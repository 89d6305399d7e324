@testable import Ingest
import Testing

/// The restream retry schedule: a destination that restarts within seconds is back at the next
/// second; one that stays away is asked less and less often.
@Suite struct ForwarderRetryTests {
    @Test func anOutageIsRetriedEverySecondForTenSecondsThenWithDoublingBackoff() {
        var backoff = 2.0
        let quick = (0..<10).map { Forwarder.retryDelay(outageFor: .seconds($0), backoff: &backoff) }
        #expect(quick == Array(repeating: 1.0, count: 10) && backoff == 2)
        let later = (0..<6).map { Forwarder.retryDelay(outageFor: .seconds(10 + $0), backoff: &backoff) }
        #expect(later == [2, 4, 8, 16, 30, 30])
    }

    @Test func secretsAreMaskedInWhatTheAPIAndTheLogShow() {
        #expect(Forwarder.masked("rtmps://live.example/app/SECRET") == "rtmps://live.example/app/***")
        #expect(Forwarder.masked("srt://h:9000?streamid=live/x&passphrase=SECRET").contains("SECRET") == false)
    }
}
