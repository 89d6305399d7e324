import Foundation
import Ingest
import Logging
import StreamHub
import Synchronization

/// Every restream destination of the server: one owner adds, lists and stops them. Each
/// `Forwarder` runs on its own thread; this only keeps the table and tells waiting ones when a
/// stream appears.
public final class Forwarding: Sendable {
    private let hub: StreamHub
    private let logger: Logger
    private let table = Mutex<[Int: Forwarder]>([:])
    /// (path, url) pairs started from the configuration, so a republish does not add them twice.
    private let configured = Mutex<Set<[String]>>([])
    /// Destinations at once; each is a thread and a connection.
    public static let maxDestinations = 64

    /// `destinations` gives the configured forwards of a path (`paths[].forward`), read when a
    /// stream appears, so a reload applies to the next publish.
    init(hub: StreamHub, logger: Logger, destinations: @escaping @Sendable (String) -> [String] = { _ in [] }) {
        self.hub = hub
        self.logger = logger
        // Hub observers stay for the hub's life: hold the table weakly.
        hub.onNewStream { [weak self] stream in
            guard let self else { return }
            if !stream.isDerived {
                for url in destinations(stream.path) where self.configured.withLock({ $0.insert([stream.path, url]).inserted }) {
                    do {
                        try self.add(path: stream.path, url: url)
                    } catch {
                        logger.warning("configured forward of \(stream.path) not started: \(error)")
                    }
                }
            }
            for f in self.table.withLock({ Array($0.values) }) where f.sourcePath == stream.path { f.streamAppeared() }
        }
    }

    public enum AddError: Error, CustomStringConvertible {
        case badURL(String), badPath(String), tooMany, badCAFile(String)
        public var description: String {
            switch self {
            case .badURL(let why): "bad destination URL: \(why)"
            case .badPath(let why): "bad stream path: \(why)"
            case .tooMany: "at most \(Forwarding.maxDestinations) destinations"
            case .badCAFile(let path): "caFile \(path) is not a readable file"
            }
        }
    }

    /// Starts pushing `path` (its source, or the rung `rendition`) to `url`; `tls` applies to rtmps://.
    @discardableResult
    public func add(path: String, rendition: String = "source", url: String,
                    tls: Forwarder.TLSOptions = Forwarder.TLSOptions()) throws(AddError) -> Forwarder.Status {
        if let ca = tls.caFile {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: ca, isDirectory: &isDirectory), !isDirectory.boolValue,
                  FileManager.default.isReadableFile(atPath: ca) else { throw .badCAFile(ca) }
        }
        let scheme = url.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() } ?? ""
        guard ["rtmp", "rtmps", "srt"].contains(scheme), url.contains("://"), url.utf8.count <= 2048 else {
            throw .badURL("use rtmp://, rtmps:// or srt:// (at most 2048 bytes)")
        }
        do {
            _ = try StreamPath(validating: rendition == "source" ? path : "\(path)/\(rendition)")
        } catch {
            throw .badPath("\(error)")
        }
        let forwarder = table.withLock { t -> Forwarder? in
            guard t.count < Self.maxDestinations else { return nil }
            let f = Forwarder(path: path, rendition: rendition, url: url, tls: tls, hub: hub, logger: logger)
            t[f.id] = f
            return f
        }
        guard let forwarder else { throw .tooMany }
        logger.info("forward added", metadata: ["id": "\(forwarder.id)", "path": "\(path)", "rendition": "\(rendition)",
                                                "url": "\(forwarder.status.url)"])
        return forwarder.status
    }

    /// Stops and forgets destination `id`; false if there is none.
    public func remove(id: Int) -> Bool {
        guard let f = table.withLock({ $0.removeValue(forKey: id) }) else { return false }
        f.stop()
        logger.info("forward removed", metadata: ["id": "\(id)", "path": "\(f.path)"])
        return true
    }

    public var statuses: [Forwarder.Status] {
        table.withLock { Array($0.values) }.map(\.status).sorted { $0.id < $1.id }
    }

    func stopAll() {
        for f in table.withLock({ t -> [Forwarder] in defer { t.removeAll() }; return Array(t.values) }) { f.stop() }
    }
}
