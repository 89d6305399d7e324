import Foundation
import Logging

/// Removes recordings past the age limit, then the oldest while all together exceed the size
/// limit. Never one being written.
enum RecordingRetention {
    static func prune(settings: RecordingSettings, active: Set<String>, now: Date = Date(), logger: Logger) {
        guard settings.maxAgeSeconds > 0 || settings.maxTotalBytes > 0 else { return }
        var all = RecordingCatalog.find(settings.directory).map { ($0, RecordingDiskWriter.size(of: $0.directory)) }
        var total = all.reduce(Int64(0)) { $0 + $1.1 }
        var i = 0
        while i < all.count {
            let (found, size) = all[i]
            let tooOld = settings.maxAgeSeconds > 0 && now.timeIntervalSince(found.date) > settings.maxAgeSeconds
            let tooBig = settings.maxTotalBytes > 0 && total > settings.maxTotalBytes
            guard (tooOld || tooBig) && !active.contains(found.directory) else { i += 1; continue }
            do {
                try FileManager.default.removeItem(atPath: found.directory)
                total -= size
                all.remove(at: i)
                logger.notice("recording \(found.path)/\(found.id) removed (\(tooOld ? "older than the retention age" : "total size over the limit"))")
            } catch {
                logger.error("recording retention: cannot remove \(found.directory): \(error)")
                i += 1
            }
        }
    }
}
