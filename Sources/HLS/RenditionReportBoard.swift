import Synchronization

/// The newest part of every rendition of a stream, for EXT-X-RENDITION-REPORT. A leaf lock:
/// renditions update and read it without holding each other's locks.
final class RenditionReportBoard: Sendable {
    private let latest = Mutex<[(name: String, msn: Int, part: Int)]>([])

    func update(_ name: String, msn: Int, part: Int) {
        latest.withLock { all in
            if let i = all.firstIndex(where: { $0.name == name }) {
                all[i] = (name, msn, part)
            } else {
                all.append((name, msn, part))
            }
        }
    }

    func reports(except name: String) -> [RenditionReport] {
        latest.withLock { all in
            all.filter { $0.name != name }.map { RenditionReport(uri: "../\($0.name)/index.m3u8", lastMSN: $0.msn, lastPart: $0.part) }
        }
    }
}
