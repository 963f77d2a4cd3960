import Foundation

/// A check that JSON text names no key twice in one object. RFC 8259 leaves such objects'
/// meaning to the reader (Foundation's `JSONDecoder` and `JSONSerialization` keep different
/// copies), so a configuration or manifest that repeats a key is refused instead of read one way
/// or the other.
public enum JSONRepeatedKeys {
    /// The first key that appears twice in the same object of `data`, decoded as JSON reads it
    /// (escapes resolved), or nil when there is none. Text that is not JSON is left to the
    /// decoder: the scan only follows strings, objects and arrays.
    public static func first(in data: Data) -> String? {
        let bytes = [UInt8](data)
        // Per open container: its keys so far (nil for an array) and whether a key comes next.
        var stack: [(keys: Set<String>?, expectsKey: Bool)] = []
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                let start = i
                i += 1
                while i < bytes.count && bytes[i] != UInt8(ascii: "\"") { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
                if var top = stack.last, top.keys != nil, top.expectsKey, i < bytes.count {
                    let key = decoded(Data(bytes[start...i]))
                    if !top.keys!.insert(key).inserted { return key }
                    top.expectsKey = false
                    stack[stack.count - 1] = top
                }
            case UInt8(ascii: "{"): stack.append((Set(), true))
            case UInt8(ascii: "["): stack.append((nil, false))
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if !stack.isEmpty { stack.removeLast() }
            case UInt8(ascii: ","): if let top = stack.last, top.keys != nil { stack[stack.count - 1].expectsKey = true }
            default: break
            }
            i += 1
        }
        return nil
    }

    /// A JSON string literal (with its quotes) as the string it denotes; the raw text when it is
    /// not a valid literal.
    static func decoded(_ literal: Data) -> String {
        (try? JSONSerialization.jsonObject(with: literal, options: .fragmentsAllowed) as? String) ?? String(decoding: literal, as: UTF8.self)
    }
}
