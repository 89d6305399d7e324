// TSan reports "Swift access race" for this correct Synchronization.Mutex use (Swift 6.3.1,
// Linux); the same code on a pthread mutex reports nothing. Run:
//   swiftc -sanitize=thread -g Tools/tsan/mutex-false-positive.swift -o /tmp/m && /tmp/m
import Foundation
import Synchronization
struct Rung { var name: String; var n = 0 }
struct Stats { var rungs: [Rung] = [Rung(name: "a"), Rung(name: "b")]; var x = 0 }
final class Rec: Sendable {
    private let stats = Mutex(Stats())
    func update(_ body: (inout Stats) -> Void) { stats.withLock { body(&$0) } }
    func updateRung(_ name: String, _ body: (inout Rung) -> Void) {
        stats.withLock { s in if let i = s.rungs.firstIndex(where: { $0.name == name }) { body(&s.rungs[i]) } }
    }
}
let rec = Rec()
let t1 = Thread { for _ in 0..<20000 { rec.update { $0.x += 1 } } }
let t2 = Thread { for _ in 0..<20000 { rec.updateRung("b") { $0.n += 1 } } }
t1.start(); t2.start()
Thread.sleep(forTimeInterval: 2)
print(rec.update { _ in })
