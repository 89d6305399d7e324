#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore

/// A write to the recording directory failed (disk full, file too large, no permission).
public struct RecordingError: Error, CustomStringConvertible {
    public var description: String
    init(_ what: String, _ path: String, errno code: Int32) {
        description = "\(what) \(path): \(String(cString: strerror(code)))"
    }
    init(_ text: String) { description = text }
}

/// Crash-safe file writes for the disk thread: data goes to `<name>.tmp`, is fsync'd, then
/// renamed over `<name>`; a kill at any point leaves the old file or the new one, never half.
enum RecordingDisk {
    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST { throw RecordingError("cannot create", current, errno: errno) }
        }
    }

    /// Writes `buffers` to `path` atomically (temp file, fsync, rename).
    static func writeAtomically(_ path: String, _ buffers: [ByteBuffer]) throws {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RecordingError("cannot create", temp, errno: errno) }
        var closed = false
        defer { if !closed { close(fd); unlink(temp) } }
        for buffer in buffers {
            try buffer.withUnsafeReadableBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw RecordingError("cannot write", temp, errno: errno)
                    }
                    offset += n
                }
            }
        }
        guard fsync(fd) == 0 else { throw RecordingError("cannot sync", temp, errno: errno) }
        closed = true
        guard close(fd) == 0 else { unlink(temp); throw RecordingError("cannot close", temp, errno: errno) }
        guard rename(temp, path) == 0 else { unlink(temp); throw RecordingError("cannot rename", temp, errno: errno) }
    }

    static func writeAtomically(_ path: String, text: String) throws {
        try writeAtomically(path, [ByteBuffer(string: text)])
    }

    /// Makes renames in `directory` durable (power loss; a killed process needs only the rename).
    static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func read(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out += chunk[0..<n]
            if out.count > 64 << 20 { return nil } // not a playlist we wrote
        }
        return String(decoding: out, as: UTF8.self)
    }
}
