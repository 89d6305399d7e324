/// The policies by name, for the bench and the tests.
public enum Policies {
    public static let chunkNames = ["bba", "rb", "bola", "robustmpc", "ewma", "sluice"]
    public static let liveNames = ["bba", "rb", "bola", "robustmpc", "ewma", "lolp", "sluice"]

    public static func chunk(_ name: String) -> (any ChunkPolicy)? {
        switch name {
        case "bba": BBA()
        case "rb": RateBased()
        case "bola": BOLA()
        case "robustmpc": RobustMPC()
        case "ewma": HlsjsEWMA()
        case "sluice": SluiceChunk()
        default: nil
        }
    }

    public static func live(_ name: String) -> (any LivePolicy)? {
        switch name {
        case "bba": BBA()
        case "rb": RateBased()
        case "bola": BOLA()
        case "robustmpc": RobustMPC()
        case "ewma": HlsjsEWMA()
        case "lolp": LoLPlus()
        case "sluice": SluiceLive()
        default: nil
        }
    }
}
