/// Config types with a default instance: a value of one that appears where the parent has no
/// default (a `paths` rule's `publish`) still takes its missing keys from `init()`.
protocol ConfigDefaultable: Encodable { init() }

extension SluiceConfig: ConfigDefaultable {}
extension SluiceConfig.Listeners: ConfigDefaultable {}
extension SluiceConfig.Listeners.RTMP: ConfigDefaultable {}
extension SluiceConfig.Listeners.SRT: ConfigDefaultable {}
extension SluiceConfig.Listeners.HTTP: ConfigDefaultable {}
extension SluiceConfig.Logging: ConfigDefaultable {}
extension SluiceConfig.API: ConfigDefaultable {}
extension SluiceConfig.HLS: ConfigDefaultable {}
extension SluiceConfig.Transcode: ConfigDefaultable {}
extension SluiceConfig.Auth: ConfigDefaultable {}
extension SluiceConfig.PublishAuth: ConfigDefaultable {}
extension SluiceConfig.PlayAuth: ConfigDefaultable {}
extension SluiceConfig.Webhook: ConfigDefaultable {}
extension SluiceConfig.Limits: ConfigDefaultable {}
extension SluiceConfig.Metrics: ConfigDefaultable {}
extension SluiceConfig.Analytics: ConfigDefaultable {}
extension SluiceConfig.Dashboard: ConfigDefaultable {}
extension SluiceConfig.Clips: ConfigDefaultable {}
extension SluiceConfig.Recording: ConfigDefaultable {}
extension SluiceConfig.WebRTC: ConfigDefaultable {}
