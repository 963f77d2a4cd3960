/// The lines of a text file, for every reader: a line ends at LF, CRLF or a lone CR (files from
/// old Macs), the last line may have no end, and empty lines are kept, so element i is the file's
/// line i + 1 and errors can name it. (Swift reads CRLF as one `Character`.)
public enum TextLines {
    public static func split<S: StringProtocol>(_ text: S) -> [S.SubSequence] {
        text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
    }
}
