import Foundation
import Logging
import MediaCore
import StreamHub
import Synchronization

/// Pumps a hub reader into one rendition on a dedicated thread, so muxing never runs on an
/// event loop or on Swift's cooperative pool. For the source (passthrough) rendition; the
/// transcoder calls `HLSRendition.write` from its own encoder threads instead.
public final class HLSFeed: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let queue: ReaderQueue
    private let done = ThreadExit()

    /// Starts the thread. When the queue closes (publisher gone) the rendition is left open
    /// for a reconnect: `onClose` runs, and the owner decides when to end the stream.
    public init(queue: ReaderQueue, stream: HLSStream, rendition name: String, isSource: Bool = true,
                logger: Logger = Logger(label: "sluice.hls"), onClose: @escaping @Sendable () -> Void = {}) {
        self.queue = queue
        let thread = Thread { self.pump(queue: queue, stream: stream, name: name, isSource: isSource, logger: logger, onClose: onClose) }
        thread.name = "hls-\(name)"
        thread.start()
    }

    private func pump(queue: ReaderQueue, stream: HLSStream, name: String, isSource: Bool, logger: Logger,
                      onClose: @Sendable () -> Void) {
            var rendition: HLSRendition? = stream.rendition(named: name)
            var failed = false
            while !stopped.load(ordering: .relaxed) {
                // `stop()` closes the queue, which wakes this wait: the timeout is only a safety net.
                guard let event = queue.next(timeout: .seconds(5)) else {
                    if queue.isClosed { break }
                    continue
                }
                do {
                    switch event {
                    case .tracks(let tracks):
                        rendition = try stream.rendition(name: name, tracks: tracks, isSource: isSource)
                        failed = false
                    case .unit(let unit):
                        if !failed { try rendition?.write(unit) }
                    case .discontinuity:
                        try rendition?.discontinuity()
                        failed = false
                    case .metadata:
                        break
                    }
                } catch {
                    // Keep serving what exists; resume at the next discontinuity or new tracks.
                    logger.error("hls \(stream.path)/\(name): \(error)")
                    failed = true
                }
            }
            do { try rendition?.discontinuity() } catch { logger.error("hls \(stream.path)/\(name): \(error)") }
            onClose()
            done.signal()
    }

    /// Stops the thread (after its current unit) and waits for it.
    public func stop() async {
        stopped.store(true, ordering: .relaxed)
        queue.close()
        await finished()
    }

    /// Waits until the thread has drained a closed queue (or was stopped).
    public func finished() async { await done.wait() }
}
