using System.Globalization;
using System.Text.RegularExpressions;

namespace Goflux.Testing;

/// <summary>Parses and compares nats-server version strings such as <c>2.10.27</c> or <c>v2.11.0-beta.1</c>.</summary>
internal static partial class NatsServerVersion
{
    /// <summary>The oldest server the tests accept: 2.10 understands Term reasons, 2.9 does not.</summary>
    public static readonly Version Minimum = new(2, 10);

    /// <summary>Reads the first <c>major.minor[.patch]</c> in <paramref name="text"/>; null when there is none.</summary>
    public static Version? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var match = VersionPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var major = int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var minor = int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        var patch = match.Groups[3].Success ? int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
        return new Version(major, minor, patch);
    }

    /// <summary>True when <paramref name="text"/> names a version at or above <see cref="Minimum"/>.</summary>
    public static bool IsSupported(string? text) => Parse(text) is { } version && version >= Minimum;

    [GeneratedRegex(@"(\d+)\.(\d+)(?:\.(\d+))?", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();
}
