using System.Globalization;
using System.Text;

namespace Goflux.InMemory.Server;

/// <summary>Durations as the server prints them in its texts (Go's <c>time.Duration.String</c>: <c>1m30s</c>,
/// <c>500ms</c>, <c>1.5s</c>), and the duration strings it accepts (a <c>-NAK 5s</c> delay).</summary>
internal static class GoDuration
{
    /// <summary>Formats <paramref name="d"/> the way Go prints a duration.</summary>
    public static string Format(TimeSpan d)
    {
        var ns = d.Ticks * 100;
        if (ns == 0)
        {
            return "0s";
        }

        var sb = new StringBuilder();
        if (ns < 0)
        {
            sb.Append('-');
            ns = -ns;
        }

        if (ns < 1_000_000_000)
        {
            // Below a second: the largest unit that keeps a whole part.
            var (unit, size) = ns < 1_000 ? ("ns", 1L) : ns < 1_000_000 ? ("µs", 1_000L) : ("ms", 1_000_000L);
            sb.Append(Fraction(ns, size)).Append(unit);
            return sb.ToString();
        }

        var hours = ns / 3_600_000_000_000;
        ns -= hours * 3_600_000_000_000;
        var minutes = ns / 60_000_000_000;
        ns -= minutes * 60_000_000_000;
        if (hours > 0)
        {
            sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        }

        if (hours > 0 || minutes > 0)
        {
            sb.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        }

        sb.Append(Fraction(ns, 1_000_000_000)).Append('s');
        return sb.ToString();
    }

    /// <summary>Parses a Go duration string (<c>300ms</c>, <c>1.5h</c>, <c>2h45m</c>).</summary>
    /// <returns><see langword="false"/> when it is not one.</returns>
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        var negative = s[0] == '-';
        if (s[0] is '-' or '+')
        {
            s = s[1..];
        }

        if (s == "0")
        {
            return true;
        }

        double total = 0;
        var i = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
            {
                i++;
            }

            if (i == start || !double.TryParse(s.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.')
            {
                i++;
            }

            double scale = s[unitStart..i] switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                _ => -1,
            };
            if (scale < 0)
            {
                return false;
            }

            total += number * scale;
        }

        var ticks = total / 100;
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }

    private static string Fraction(long value, long size)
    {
        var whole = value / size;
        var rest = value % size;
        if (rest == 0)
        {
            return whole.ToString(CultureInfo.InvariantCulture);
        }

        var digits = size.ToString(CultureInfo.InvariantCulture).Length - 1;
        var frac = rest.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        return whole.ToString(CultureInfo.InvariantCulture) + "." + frac;
    }
}
