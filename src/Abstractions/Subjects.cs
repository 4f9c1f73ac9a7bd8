namespace Goflux;

/// <summary>
/// NATS subject rules: validation of publish subjects and subscription patterns, and wildcard matching.
/// </summary>
/// <remarks>
/// A subject is a list of non-empty tokens separated by <c>.</c>, with no whitespace. In a pattern, <c>*</c> matches
/// exactly one token and <c>&gt;</c> one or more trailing tokens; a character is a wildcard only when it is a whole token.
/// </remarks>
public static class Subjects
{
    /// <summary>
    /// The longest subject goflux publishes to, in UTF-8 bytes: 3,072. A NATS server reads a publish's control line
    /// (<c>HPUB subject reply sizes</c>) into a buffer of <c>max_control_line</c> bytes, 4,096 by default, and closes the
    /// whole connection when a line is longer. The limit leaves room for the reply subject (an inbox of about 50 bytes,
    /// or a JetStream ack subject of up to about 660 bytes when a cluster forwards the message between servers), the
    /// account name and the sizes. Longer subjects are rejected with an <see cref="ArgumentException"/> before anything is
    /// sent, on every transport.
    /// </summary>
    public const int MaxLength = 3072;

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the problem when <paramref name="subject"/> is not a valid
    /// literal publish subject (empty, empty token, whitespace, or a wildcard token).
    /// </summary>
    /// <param name="subject">The subject to check.</param>
    /// <param name="paramName">The parameter name to report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is not a valid publish subject.</exception>
    public static void ValidatePublishSubject(string subject, string paramName = "subject")
    {
        ArgumentNullException.ThrowIfNull(subject, paramName);
        var error = Check(subject, allowWildcards: false);
        if (error is not null)
        {
            throw new ArgumentException($"Invalid publish subject '{Printable(subject)}': {error}.", paramName);
        }
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> when <paramref name="subject"/> is longer than <see cref="MaxLength"/>
    /// UTF-8 bytes. The publish pipeline of every transport calls it after <see cref="ValidatePublishSubject"/>.
    /// </summary>
    /// <param name="subject">The subject to check.</param>
    /// <param name="paramName">The parameter name to report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="subject"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="subject"/> is over <see cref="MaxLength"/> bytes.</exception>
    public static void ValidateLength(string subject, string paramName = "subject")
    {
        ArgumentNullException.ThrowIfNull(subject, paramName);

        // At most 3 UTF-8 bytes per UTF-16 char: short subjects need no count.
        if (subject.Length * 3 <= MaxLength)
        {
            return;
        }

        var bytes = System.Text.Encoding.UTF8.GetByteCount(subject);
        if (bytes > MaxLength)
        {
            throw new ArgumentException(
                $"Invalid publish subject '{Printable(subject[..40])}...': it is {bytes} bytes long, over the limit of {MaxLength} bytes (a NATS server drops the connection of a publish whose control line exceeds its max_control_line, 4,096 bytes by default). Nothing was sent.",
                paramName);
        }
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the problem when <paramref name="pattern"/> is not a valid
    /// subscription subject (wildcards allowed, <c>&gt;</c> only as the last token).
    /// </summary>
    /// <param name="pattern">The pattern to check.</param>
    /// <param name="paramName">The parameter name to report.</param>
    /// <exception cref="ArgumentNullException"><paramref name="pattern"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid subject.</exception>
    public static void ValidatePattern(string pattern, string paramName = "subject")
    {
        ArgumentNullException.ThrowIfNull(pattern, paramName);
        var error = Check(pattern, allowWildcards: true);
        if (error is not null)
        {
            throw new ArgumentException($"Invalid subject '{Printable(pattern)}': {error}.", paramName);
        }
    }

    /// <summary>Returns whether <paramref name="subject"/> is a valid literal (wildcard-free) subject.</summary>
    /// <param name="subject">The subject.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidPublishSubject(string? subject) => subject is not null && Check(subject, false) is null;

    /// <summary>Returns whether <paramref name="pattern"/> is a valid subject, wildcards allowed.</summary>
    /// <param name="pattern">The pattern.</param>
    /// <returns><see langword="true"/> when valid.</returns>
    public static bool IsValidPattern(string? pattern) => pattern is not null && Check(pattern, true) is null;

    /// <summary>Returns whether the literal <paramref name="subject"/> matches <paramref name="pattern"/>.</summary>
    /// <param name="pattern">A subject that may contain <c>*</c> and <c>&gt;</c> tokens.</param>
    /// <param name="subject">A literal subject.</param>
    /// <returns><see langword="true"/> when the subject matches.</returns>
    public static bool Matches(string pattern, string subject)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(subject);
        var p = pattern.AsSpan();
        var s = subject.AsSpan();
        while (true)
        {
            var pi = p.IndexOf('.');
            var pt = pi < 0 ? p : p[..pi];
            if (s.IsEmpty)
            {
                return false;
            }

            var si = s.IndexOf('.');
            var st = si < 0 ? s : s[..si];
            if (pt is ">")
            {
                return true;
            }

            if (pt is not "*" && !pt.SequenceEqual(st))
            {
                return false;
            }

            if (pi < 0 || si < 0)
            {
                return pi < 0 && si < 0;
            }

            p = p[(pi + 1)..];
            s = s[(si + 1)..];
        }
    }

    /// <summary>
    /// Returns whether some literal subject matches both patterns (the server's notion of colliding subjects).
    /// </summary>
    /// <param name="a">The first pattern.</param>
    /// <param name="b">The second pattern.</param>
    /// <returns><see langword="true"/> when the patterns overlap.</returns>
    public static bool Collide(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var ta = a.Split('.');
        var tb = b.Split('.');
        var n = Math.Min(ta.Length, tb.Length);
        for (var i = 0; i < n; i++)
        {
            if (ta[i] == ">" || tb[i] == ">")
            {
                return true;
            }

            if (ta[i] != "*" && tb[i] != "*" && ta[i] != tb[i])
            {
                return false;
            }
        }

        if (ta.Length == tb.Length)
        {
            return true;
        }

        // One is longer: only a trailing '>' on the shorter one could absorb the rest, handled above.
        return false;
    }

    /// <summary>Returns whether every subject matched by <paramref name="inner"/> is also matched by <paramref name="outer"/>.</summary>
    /// <param name="outer">The wider pattern.</param>
    /// <param name="inner">The narrower pattern.</param>
    /// <returns><see langword="true"/> when <paramref name="inner"/> is a subset of <paramref name="outer"/>.</returns>
    public static bool IsSubsetOf(string inner, string outer)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(outer);
        var ti = inner.Split('.');
        var to = outer.Split('.');
        for (var i = 0; i < to.Length; i++)
        {
            if (to[i] == ">")
            {
                return ti.Length > i;
            }

            if (i >= ti.Length)
            {
                return false;
            }

            if (to[i] == "*")
            {
                if (ti[i] == ">")
                {
                    return false;
                }

                continue;
            }

            if (ti[i] != to[i])
            {
                return false;
            }
        }

        return ti.Length == to.Length;
    }

    internal static string Printable(string s) => s.Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\t", "\\t", StringComparison.Ordinal);

    private static string? Check(string subject, bool allowWildcards)
    {
        if (subject.Length == 0)
        {
            return "it is empty";
        }

        var tokenStart = 0;
        for (var i = 0; i <= subject.Length; i++)
        {
            if (i == subject.Length || subject[i] == '.')
            {
                var token = subject.AsSpan(tokenStart, i - tokenStart);
                if (token.IsEmpty)
                {
                    return "it has an empty token";
                }

                if (token is "*" || token is ">")
                {
                    if (!allowWildcards)
                    {
                        return $"wildcard token '{token}' is not allowed when publishing";
                    }

                    if (token is ">" && i != subject.Length)
                    {
                        return "'>' is allowed only as the last token";
                    }
                }

                tokenStart = i + 1;
                continue;
            }

            if (char.IsWhiteSpace(subject[i]) || char.IsControl(subject[i]))
            {
                return "it contains whitespace or a control character";
            }
        }

        return null;
    }
}
