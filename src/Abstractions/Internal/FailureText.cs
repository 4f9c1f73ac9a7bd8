namespace Goflux.Internal;

/// <summary>
/// Text built from an exception for a term reason, an activity status or a log line. An exception's message is text
/// goflux does not control: it may be null, empty, many lines long, non-ASCII, padded, megabytes long, or even throw.
/// Whatever it says, what is built here is valid wherever it goes, so a settlement never fails because of it.
/// </summary>
internal static class FailureText
{
    /// <summary>The longest term reason goflux builds from an exception.</summary>
    internal const int MaxReasonLength = 256;

    /// <summary>The exception's message, or its type name when the message is missing, blank or cannot be read.</summary>
    internal static string MessageOf(Exception exception)
    {
        string? text;
        try
        {
            text = exception.Message;
        }
        catch (Exception)
        {
            text = null; // A message getter that throws says nothing useful; the type still does.
        }

        return string.IsNullOrWhiteSpace(text) ? exception.GetType().Name : text;
    }

    /// <summary>A term reason: <paramref name="prefix"/> and the exception's message, made a valid header value.</summary>
    internal static string Reason(string prefix, Exception exception) =>
        MessageHeaders.ToValidValue(prefix + MessageHeaders.ToValidValue(MessageOf(exception), MaxReasonLength), MaxReasonLength);
}
