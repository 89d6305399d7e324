/// The chunk streams Sluice sends on. Clients may use any; these follow common servers.
public enum RTMPChunkStreamID {
    public static let control = 2
    public static let command = 3
    public static let audio = 4
    public static let data = 5
    public static let video = 6
}
