// A catalogue of malformed JSON documents, shared by the parser's tests and the RPC server's
// framing tests (each must answer -32700 for every one of them).

public enum MalformedJSON {
    /// Each malformed document and the offset where the parser must report the problem.
    public static let documents: [(text: String, offset: Int)] = [
        ("", 0), ("   ", 3), ("{", 1), ("[", 1), ("[1,", 3), ("[1 2]", 3), ("[1,]", 3), ("{\"a\"}", 4),
        ("{\"a\":}", 5), ("{\"a\":1,}", 7), ("{a:1}", 1), ("{'a':1}", 1), ("\"abc", 4), ("tru", 3),
        ("nul", 3), ("True", 0), ("NaN", 0), ("Infinity", 0), ("01", 0), ("-", 0), ("1.", 0), ("1e", 0),
        (".5", 0), ("+1", 0), ("0x10", 1), ("1 2", 2), ("{}{}", 2), ("[]]", 2), ("\"\\x\"", 1),
        ("\"\\u12\"", 3), ("\"\\uzzzz\"", 3), ("\"a\tb\"", 2), ("\"a\nb\"", 2), ("{\"a\" 1}", 5),
        ("[1,,2]", 3), ("{\"a\":1\"b\":2}", 6), ("/* c */ 1", 0), ("\u{FEFF}1", 0),
    ]
}
