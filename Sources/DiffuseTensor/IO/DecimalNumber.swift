/// The spelling of numbers Diffuse accepts in text files (CSV cells, command-line values):
/// plain decimal notation, nothing else.
///
/// Accepted: an optional sign, digits with an optional decimal point (`12`, `-0.5`, `.5`, `3.`),
/// and an optional exponent (`1e-3`, `2.5E+4`). Refused: hexadecimal (`0x10`, `0x1p3`),
/// `inf`/`infinity`/`nan` (a missing value is an empty cell or a missing marker, see
/// ``CSVTable/missingMarkers``), digit separators, surrounding text, and any control byte. A
/// value too large for `Double` is refused rather than read as infinity, and a non-zero value
/// too small for it rather than read as 0.
public enum DecimalNumber {
    /// The value of `text` if it is a decimal number in the grammar above and finite as a `Double`.
    public static func parse(_ text: some StringProtocol) -> Double? {
        guard isDecimal(text.utf8), let value = Double(String(text)), value.isFinite else { return nil }
        // A non-zero number below the smallest subnormal would read as 0: refused as well.
        if value == 0 {
            let mantissa = text.utf8.prefix { $0 != UInt8(ascii: "e") && $0 != UInt8(ascii: "E") }
            guard !mantissa.contains(where: { $0 >= UInt8(ascii: "1") && $0 <= UInt8(ascii: "9") }) else { return nil }
        }
        return value
    }

    /// Whether the bytes match `[+-]? (D+ (. D*)? | . D+) ([eE] [+-]? D+)?`.
    static func isDecimal<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        var i = bytes.startIndex
        func peek() -> UInt8? { i < bytes.endIndex ? bytes[i] : nil }
        func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        func digits() -> Int {
            var n = 0
            while isDigit(peek()) { i = bytes.index(after: i); n += 1 }
            return n
        }
        if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i = bytes.index(after: i) }
        var mantissaDigits = digits()
        if peek() == UInt8(ascii: ".") {
            i = bytes.index(after: i)
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            i = bytes.index(after: i)
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { i = bytes.index(after: i) }
            guard digits() > 0 else { return false }
        }
        return i == bytes.endIndex
    }
}
