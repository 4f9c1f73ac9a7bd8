using System.Collections;

namespace Goflux;

/// <summary>
/// Application headers of a message: names, each with one or more values, in insertion order.
/// </summary>
/// <remarks>
/// <para>
/// Only what every transport carries unchanged is accepted, so a header reads the same whichever backend delivered it.
/// A name must be non-empty visible ASCII without <c>:</c>. A value must be printable ASCII (space through <c>~</c>)
/// with no space at either end; it may be empty. Over NATS, header text travels as ASCII (a <c>é</c> would arrive as
/// <c>?</c>) and values are trimmed on receipt, so anything else is rejected with an <see cref="ArgumentException"/>
/// when it is added.
/// </para>
/// <para>
/// A name that differs only in case from one already present is rejected: NATS reads header names case-insensitively,
/// so over the wire the two would merge. Each name keeps its spelling on every transport, and lookups are exact
/// (case-sensitive), as the server's own <c>Nats-*</c> headers are. Adding a name again adds a value; every value
/// arrives, in order.
/// </para>
/// <para>On the wire goflux writes each header as <c>X-Goflux-{name}</c> and strips that prefix again on receipt.</para>
/// </remarks>
public sealed class MessageHeaders : IEnumerable<KeyValuePair<string, IReadOnlyList<string>>>
{
    private static readonly MessageHeaders EmptyInstance = new(readOnly: true);
    private readonly List<KeyValuePair<string, List<string>>> _entries = [];
    private readonly bool _readOnly;

    /// <summary>
    /// Initializes a new instance of the <see cref="MessageHeaders"/> class with no headers.
    /// </summary>
    public MessageHeaders()
    {
    }

    private MessageHeaders(bool readOnly) => _readOnly = readOnly;

    /// <summary>Gets a shared, read-only empty set of headers.</summary>
    public static MessageHeaders Empty => EmptyInstance;

    /// <summary>Gets the number of distinct header names.</summary>
    public int Count => _entries.Count;

    /// <summary>Gets the header names in insertion order.</summary>
    public IEnumerable<string> Names => _entries.Select(e => e.Key);

    /// <summary>Gets the first value of a header, or <see langword="null"/> when it is absent.</summary>
    /// <param name="name">The case-sensitive header name.</param>
    public string? this[string name] => TryGetValues(name, out var values) ? values[0] : null;

    /// <summary>Adds a value to a header, keeping any values it already has.</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The value.</param>
    /// <returns>This instance, for chaining.</returns>
    /// <exception cref="ArgumentException">The name or the value is invalid, or the name differs only in case from a
    /// name already present.</exception>
    /// <exception cref="InvalidOperationException">The headers are read-only.</exception>
    public MessageHeaders Add(string name, string value)
    {
        ValidateName(name);
        ValidateValue(name, value);
        ThrowIfReadOnly();
        var index = IndexOfSpelling(name);
        if (index < 0)
        {
            _entries.Add(new(name, [value]));
        }
        else
        {
            _entries[index].Value.Add(value);
        }

        return this;
    }

    /// <summary>Sets a header to a single value, replacing any values it had.</summary>
    /// <param name="name">The header name.</param>
    /// <param name="value">The value.</param>
    /// <returns>This instance, for chaining.</returns>
    /// <exception cref="ArgumentException">The name or the value is invalid, or the name differs only in case from a
    /// name already present.</exception>
    /// <exception cref="InvalidOperationException">The headers are read-only.</exception>
    public MessageHeaders Set(string name, string value)
    {
        ValidateName(name);
        ValidateValue(name, value);
        ThrowIfReadOnly();
        var index = IndexOfSpelling(name);
        if (index < 0)
        {
            _entries.Add(new(name, [value]));
        }
        else
        {
            _entries[index] = new(name, [value]);
        }

        return this;
    }

    /// <summary>Removes a header and all its values.</summary>
    /// <param name="name">The case-sensitive header name.</param>
    /// <returns><see langword="true"/> when the header was present.</returns>
    public bool Remove(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        ThrowIfReadOnly();
        var index = IndexOf(name);
        if (index < 0)
        {
            return false;
        }

        _entries.RemoveAt(index);
        return true;
    }

    /// <summary>Returns whether the header is present (case-sensitive).</summary>
    /// <param name="name">The header name.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return IndexOf(name) >= 0;
    }

    /// <summary>Gets all values of a header.</summary>
    /// <param name="name">The case-sensitive header name.</param>
    /// <param name="values">The values, in the order they were added.</param>
    /// <returns><see langword="true"/> when the header is present.</returns>
    public bool TryGetValues(string name, out IReadOnlyList<string> values)
    {
        ArgumentNullException.ThrowIfNull(name);
        var index = IndexOf(name);
        if (index < 0)
        {
            values = [];
            return false;
        }

        values = _entries[index].Value;
        return true;
    }

    /// <summary>Returns an independent, writable copy of these headers.</summary>
    /// <returns>The copy.</returns>
    public MessageHeaders Clone()
    {
        var copy = new MessageHeaders();
        foreach (var e in _entries)
        {
            copy._entries.Add(new(e.Key, [.. e.Value]));
        }

        return copy;
    }

    /// <inheritdoc />
    public IEnumerator<KeyValuePair<string, IReadOnlyList<string>>> GetEnumerator()
    {
        foreach (var e in _entries)
        {
            yield return new(e.Key, e.Value);
        }
    }

    /// <inheritdoc />
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Throws when <paramref name="name"/> is not a valid header name.</summary>
    /// <param name="name">The name.</param>
    /// <exception cref="ArgumentException">The name is empty or has whitespace, control characters or ':'.</exception>
    public static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            throw new ArgumentException("Header name must not be empty.", nameof(name));
        }

        foreach (var c in name)
        {
            if (c == '\r' || c == '\n')
            {
                throw new ArgumentException($"Header name '{Subjects.Printable(name)}' contains CR or LF.", nameof(name));
            }

            if (c == ':' || char.IsWhiteSpace(c) || char.IsControl(c) || c > 126)
            {
                throw new ArgumentException($"Header name '{Subjects.Printable(name)}' contains an invalid character (whitespace, control, ':' or non-ASCII).", nameof(name));
            }
        }
    }

    /// <summary>
    /// Throws when <paramref name="value"/> is not a valid header value: it must be printable ASCII (space through
    /// <c>~</c>) with no space at either end, so that every transport carries it unchanged. Term reasons follow the same
    /// rule.
    /// </summary>
    /// <param name="name">The header name, for the message.</param>
    /// <param name="value">The value.</param>
    /// <exception cref="ArgumentException">The value contains CR or LF, another control character or a non-ASCII
    /// character, or starts or ends with a space.</exception>
    public static void ValidateValue(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var problem = CheckValue(value);
        if (problem is not null)
        {
            throw new ArgumentException($"Value of header '{Subjects.Printable(name)}' {problem}. MessageHeaders.ToValidValue makes any text a valid value.", nameof(value));
        }
    }

    /// <summary>
    /// Makes any text a valid header value (and term reason): every control character (CR, LF, tab, …) becomes a space,
    /// runs of spaces become one, every non-ASCII character becomes <c>?</c> (as NATS.Net's ASCII encoding would send it),
    /// the ends are trimmed, and text longer than <paramref name="maxLength"/> is cut, ending in <c>...</c>.
    /// </summary>
    /// <param name="text">Any text, or <see langword="null"/> (gives an empty string).</param>
    /// <param name="maxLength">The longest result, at least 4. The default is 256.</param>
    /// <returns>A value that <see cref="ValidateValue"/> accepts.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is less than 4.</exception>
    /// <remarks>Use it to build a header value or a term reason from text you do not control, such as an exception's
    /// message; goflux does so for the reasons it builds itself.</remarks>
    public static string ToValidValue(string? text, int maxLength = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 4);
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        if (text.Length <= maxLength && CheckValue(text) is null)
        {
            return text;
        }

        var builder = new System.Text.StringBuilder(Math.Min(text.Length, maxLength + 1));
        var space = false;
        foreach (var rune in text.EnumerateRunes())
        {
            var v = rune.Value;
            if (v <= ' ' || v == 0x7f || (v >= 0x80 && v <= 0x9f) || System.Text.Rune.IsWhiteSpace(rune))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(v > '~' ? '?' : (char)v);
            if (builder.Length > maxLength)
            {
                break;
            }
        }

        if (builder.Length > maxLength)
        {
            builder.Length = maxLength - 3;
            while (builder.Length > 0 && builder[^1] == ' ')
            {
                builder.Length--;
            }

            builder.Append("...");
        }

        return builder.ToString();
    }

    /// <summary>Says what makes <paramref name="value"/> invalid, or <see langword="null"/> when it is valid.</summary>
    internal static string? CheckValue(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\r' || c == '\n')
            {
                return "contains CR or LF";
            }

            if (c < ' ' || c == '\u007f')
            {
                return $"contains control character U+{(int)c:X4} at index {i}; header values must be printable ASCII";
            }

            if (c > '~')
            {
                return $"contains the non-ASCII character '{c}' at index {i}; header values travel as ASCII and it would arrive changed";
            }
        }

        if (value.Length > 0 && (value[0] == ' ' || value[^1] == ' '))
        {
            return $"'{value}' starts or ends with a space; values are trimmed in transit, so it would arrive changed";
        }

        return null;
    }

    private int IndexOf(string name)
    {
        for (var i = 0; i < _entries.Count; i++)
        {
            if (string.Equals(_entries[i].Key, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Finds the entry for <paramref name="name"/>; throws when it is present under another spelling.</summary>
    private int IndexOfSpelling(string name)
    {
        var index = -1;
        for (var i = 0; i < _entries.Count; i++)
        {
            if (string.Equals(_entries[i].Key, name, StringComparison.OrdinalIgnoreCase))
            {
                index = i;
                break;
            }
        }

        if (index >= 0 && !string.Equals(_entries[index].Key, name, StringComparison.Ordinal))
        {
            throw new ArgumentException(
                $"Header '{name}' differs only in case from header '{_entries[index].Key}' already present; header names are case-insensitive, so the two would merge in transit. Use one spelling.",
                nameof(name));
        }

        return index;
    }

    private void ThrowIfReadOnly()
    {
        if (_readOnly)
        {
            throw new InvalidOperationException("These headers are read-only.");
        }
    }
}
