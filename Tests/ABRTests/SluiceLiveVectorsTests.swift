import ABR
import Foundation
import Testing

/// Recorded inputs and Sluice's live decisions (from the live simulator on the Twitch profiles at
/// 0.5 s and 0.2 s parts, plus edge cases). The JavaScript port checks itself against the same file;
/// this test makes a change of the Swift policy show up here first. Regenerate with
/// `sluice bench abr --record-vectors Tests/ABRTests/Resources/sluice-live-vectors.json`.
@Suite struct SluiceLiveVectorsTests {
    @Test func swiftDecidesAsRecorded() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Resources/sluice-live-vectors.json")
        let vectors = try JSONDecoder().decode([SluiceLiveVectors.Vector].self, from: Data(contentsOf: url))
        #expect(vectors == SluiceLiveVectors.record())
        #expect(Set(vectors.map(\.decision.level)).count > 2 && Set(vectors.map(\.decision.playbackRate)).count == 2)
        let policy = SluiceLive()
        for (i, v) in vectors.enumerated() {
            #expect(policy.decide(v.input) == v.decision, "vector \(i)")
        }
    }
}
