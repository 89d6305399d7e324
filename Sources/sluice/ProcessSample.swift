import Foundation

/// CPU ticks and resident memory of processes (summed), from /proc.
struct ProcessSample {
    var cpuTicks: Int = 0
    var rssKiB: Int = 0

    init(_ pids: [Int32]) {
        for pid in pids {
            let one = ProcessSample(pid)
            cpuTicks += one.cpuTicks
            rssKiB += one.rssKiB
        }
    }

    init(_ pid: Int32) {
        if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
           let close = stat.lastIndex(of: ")") {
            // Fields after "comm)": state is field 3; utime and stime are 14 and 15.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 12 { cpuTicks = (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0) }
        }
        if let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) {
            rssKiB = Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
    }
}
