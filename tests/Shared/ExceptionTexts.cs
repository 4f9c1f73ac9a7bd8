using Xunit;

namespace Goflux.Tests.Shared;

/// <summary>
/// Exception texts a handler or a decoder may throw in production, none of them a valid header value as it stands:
/// carrier errors in several scripts, multi-line JSON and HTML bodies, CR/LF/tab, padding, empty and huge texts, and
/// exceptions whose message is null or cannot be read. Each comes with the term-reason text goflux must build from it
/// (after a prefix such as <c>non-retryable: </c>): printable ASCII, one line, trimmed, at most 256 characters.
/// </summary>
internal static class ExceptionTexts
{
    /// <summary>8.8 KB of HTML, as a gateway returns it.</summary>
    internal static readonly string Html = "<!DOCTYPE html>\n<html>\n<head><title>504 Gateway Time-out</title></head>\n<body>\n"
        + string.Concat(Enumerable.Repeat("<p>The upstream carrier did not answer in time.</p>\n", 170))
        + "</body>\n</html>\n";

    /// <summary>Label, the exception, and the text a reason carries after its prefix.</summary>
    internal static IReadOnlyList<(string Label, Func<Exception> Create, string Expected)> All { get; } =
    [
        ("german", () => new TextException("Zustellung gescheitert: Straße gesperrt"), "Zustellung gescheitert: Stra?e gesperrt"),
        ("japanese", () => new TextException("配送業者がタイムアウトしました"), "???????????????"),
        ("cyrillic and emoji", () => new TextException("Ошибка 🚚 перевозчика"), "?????? ? ???????????"),
        ("multi-line json", () => new TextException("{\n  \"error\": \"timeout\",\n  \"code\": 504\n}\n"), "{ \"error\": \"timeout\", \"code\": 504 }"),
        ("crlf and tab", () => new TextException("line one\r\nline two\tcolumn\r\n"), "line one line two column"),
        ("sentence ending in a space", () => new TextException("The carrier timed out. "), "The carrier timed out."),
        ("leading spaces", () => new TextException("   carrier timed out"), "carrier timed out"),
        ("control characters", () => new TextException("nul\0bell\adel\u007fnel\u0085end"), "nul bell del nel end"),
        ("lone surrogate", () => new TextException("broken \ud800 pair"), "broken ? pair"),
        ("empty", () => new TextException(string.Empty), nameof(TextException)),
        ("whitespace only", () => new TextException(" \r\n\t "), nameof(TextException)),
        ("null message", () => new TextException(null), nameof(TextException)),
        ("message getter throws", () => new UnreadableException(), nameof(UnreadableException)),
        ("64 KB", () => new TextException(new string('x', 64 * 1024)), Cut(new string('x', 64 * 1024))),
        ("8.8 KB html", () => new TextException(Html), Cut(string.Join(' ', Html.Split(['\n', ' '], StringSplitOptions.RemoveEmptyEntries)))),
    ];

    /// <summary>The labels, for theories.</summary>
    public static TheoryData<string> Labels
    {
        get
        {
            var data = new TheoryData<string>();
            foreach (var (label, _, _) in All)
            {
                data.Add(label);
            }

            return data;
        }
    }

    /// <summary>The reason goflux builds from <paramref name="prefix"/> and the text of case <paramref name="label"/>.</summary>
    internal static string ExpectedReason(string prefix, string label)
    {
        var expected = All.Single(t => t.Label == label).Expected;
        return Cut(prefix + expected);
    }

    internal static Exception Create(string label) => All.Single(t => t.Label == label).Create();

    /// <summary>True when <paramref name="value"/> obeys the header value rule (printable ASCII, trimmed).</summary>
    internal static bool IsValidHeaderValue(string value) =>
        value.All(c => c >= ' ' && c <= '~') && value.Trim() == value;

    private static string Cut(string s) => s.Length <= 256 ? s : s[..253].TrimEnd() + "...";
}

/// <summary>An exception that reports exactly the text it was given, null included.</summary>
internal class TextException(string? text) : Exception("unused")
{
    public override string Message => text!;
}

/// <summary>The same, marked non-retryable by its type.</summary>
internal sealed class NonRetryableTextException(string? text) : TextException(text), INonRetryable;

/// <summary>An exception whose message cannot be read.</summary>
internal sealed class UnreadableException : Exception
{
    public override string Message => throw new InvalidOperationException("no message for you");

    public override string ToString() => throw new InvalidOperationException("no text for you");
}
