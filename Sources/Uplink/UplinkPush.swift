import BitrateControl
import Dispatch
import Foundation
import MediaCore
import StreamHub
import Synchronization

/// What `sluice push` asks of the contribution encoder.
public struct UplinkSettings: Sendable {
    public var url: String
    public var input: UplinkInput
    /// nil: until the input ends (required for the test pattern).
    public var seconds: Double?
    public var policy: RatePolicyName = .fixed
    public var minKbps: Int
    public var maxKbps: Int
    public var startKbps: Int
    /// The most media the sender queues before it drops to the next keyframe.
    public var latencyBudgetMs = 500.0
    public var statsPath: String?

    public init(url: String, input: UplinkInput, seconds: Double?, minKbps: Int, maxKbps: Int, startKbps: Int) {
        self.url = url
        self.input = input
        self.seconds = seconds
        self.minKbps = minKbps
        self.maxKbps = maxKbps
        self.startKbps = startKbps
    }
}

/// The contribution encoder: three threads joined by bounded hand-offs — the source (demux +
/// decode, or the test pattern) → pictures (4, newest dropped) → the encoder → units (bounded
/// by the latency budget, dropped to the next keyframe) → the sender (transport + controller).
/// Audio goes from the source straight to the units queue.
public enum UplinkPush {
    final class Box<T: Sendable>: Sendable {
        let value = Mutex<T?>(nil)
        let ready = DispatchSemaphore(value: 0)
        func put(_ v: T) { value.withLock { $0 = v }; ready.signal() }
        func take() -> T? { ready.wait(); return value.withLock { $0 } }
    }

    /// Runs until the input ends, the time is up or `control.stop()`; throws the first failure.
    public static func run(_ settings: UplinkSettings, control: UplinkControl,
                           started: @escaping @Sendable (UplinkInputInfo) -> Void = { _ in }) throws -> UplinkSummary {
        let pictures = HandOffQueue(policy: DropNewestPolicy<RawPicture>(capacity: 4))
        let units = HandOffQueue(policy: SendBudgetPolicy(budgetMicros: Int64(settings.latencyBudgetMs * 1000)))
        let opened = Box<Result<UplinkInputInfo, UplinkError>>()
        let connected = Box<UplinkError?>()
        let gate = DispatchSemaphore(value: 0)
        let sourceDone = DispatchSemaphore(value: 0), encoderDone = DispatchSemaphore(value: 0), senderDone = DispatchSemaphore(value: 0)
        let summary = Box<UplinkSummary>()
        let stats: UplinkStatsWriter? = try settings.statsPath.map { try UplinkStatsWriter(path: $0) }

        @Sendable func failed(_ error: any Error) {
            control.fail(error)
            pictures.close()
            units.close()
        }

        let source = Thread {
            defer { pictures.close(); sourceDone.signal() }
            let s = UplinkSource(input: settings.input, seconds: settings.seconds)
            do {
                try s.open()
                opened.put(.success(s.info))
            } catch {
                opened.put(.failure(error as? UplinkError ?? UplinkError("\(error)")))
                return
            }
            gate.wait()
            guard !control.isStopping else { return }
            do {
                try s.run(pictures: pictures, audio: units, control: control)
            } catch {
                failed(UplinkError("the input failed: \(error)"))
            }
        }
        source.name = "push-source"
        source.start()
        guard case .success(let info)? = opened.take() else {
            if case .failure(let error)? = opened.value.withLock({ $0 }) { throw error }
            throw UplinkError("the input did not open")
        }
        started(info)

        let sender = Thread {
            defer { senderDone.signal() }
            let transport: any UplinkTransport
            do {
                transport = settings.url.lowercased().hasPrefix("srt://")
                    ? try SRTUplink(url: settings.url, audio: info.audio)
                    : try RTMPUplink(url: settings.url, audio: info.audio)
            } catch {
                connected.put(error as? UplinkError ?? UplinkError("\(error)"))
                return
            }
            connected.put(nil)
            let controller = RateController(policy: settings.policy, minKbps: settings.minKbps, maxKbps: settings.maxKbps,
                                            startKbps: settings.startKbps, latencyBudgetMs: settings.latencyBudgetMs)
            let loop = UplinkSender(transport: transport, controller: controller, control: control, queue: units, stats: stats)
            do {
                try loop.run()
            } catch {
                failed(UplinkError("sending to \(settings.url) failed: \(error)"))
            }
            summary.put(loop.summary)
        }
        sender.name = "push-sender"
        sender.start()
        if case .some(.some(let error)) = connected.take() {
            control.stop()
            gate.signal()
            throw error
        }

        let encoder = Thread {
            defer { units.close(); encoderDone.signal() }
            do {
                try UplinkEncoder(fps: info.fps).run(pictures: pictures, output: units, control: control)
            } catch {
                failed(UplinkError("encoding failed: \(error)"))
            }
        }
        encoder.name = "push-encoder"
        encoder.start()
        gate.signal()

        senderDone.wait()
        encoderDone.wait()
        // A listen input may sit in a blocking read: do not wait for it forever.
        _ = sourceDone.wait(timeout: .now() + 2)
        var result = summary.value.withLock { $0 } ?? UplinkSummary()
        result.encoderDroppedFrames = pictures.withPolicy { $0.dropped }
        result.decimatedFrames = control.decimatedFrames
        stats?.write(summary: result) // also after a failure: the benchmark reads what was sent
        if let error = control.error { throw error }
        return result
    }
}
