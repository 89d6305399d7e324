import Foundation

/// The recordings found on disk: every `<stream path>/<recording id>/` under the directory.
enum RecordingCatalog {
    struct Found {
        var path: String
        var id: String
        var directory: String
        var date: Date
    }

    /// Recording directories, oldest first.
    static func find(_ root: String) -> [Found] {
        var out: [Found] = []
        func walk(_ dir: String, _ components: [String]) {
            guard components.count <= 16 else { return }
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() {
                guard RecordingID.isSafeComponent(name) else { continue }
                let full = dir + "/" + name
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), isDir.boolValue else { continue }
                if let date = RecordingID.date(name), !components.isEmpty {
                    out.append(Found(path: components.joined(separator: "/"), id: name, directory: full, date: date))
                } else {
                    walk(full, components + [name])
                }
            }
        }
        walk(root, [])
        return out.sorted { $0.date < $1.date }
    }

    /// Status of every recording on disk, newest first (state from its playlists).
    static func scan(_ root: String) -> [RecordingStatus] {
        find(root).reversed().map { f in
            var status = RecordingStatus(path: f.path, id: f.id, state: .finished)
            var unfinished = false
            for name in ((try? FileManager.default.contentsOfDirectory(atPath: f.directory)) ?? []).sorted()
            where RecordingID.isSafeComponent(name) && !name.hasSuffix(".m3u8") && !name.hasSuffix(".tmp") {
                guard let text = RecordingDisk.read(f.directory + "/" + name + "/index.m3u8"),
                      let parsed = RecordingPlaylist.parse(text) else { continue }
                status.renditions.append(name)
                status.segments += parsed.segments.count
                status.durationSeconds = max(status.durationSeconds, parsed.segments.reduce(0) { $0 + $1.duration })
                if !parsed.finished { unfinished = true }
            }
            status.bytes = RecordingDiskWriter.size(of: f.directory)
            if unfinished { status.state = .unfinished }
            return status
        }
    }
}
