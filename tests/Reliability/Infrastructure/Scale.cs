using System.Globalization;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>
/// How big the runs are. <c>GOFLUX_RELIABILITY_SCALE</c> is a fraction of the full sizes (1 = the long run of
/// <c>make reliability</c>: 1,000,000 in-memory messages, 50,000 consumed and 20,000 published through a SIGKILL, a 15 s
/// outage); unset, the short sizes CI runs apply.
/// </summary>
public static class Scale
{
    public const string Variable = "GOFLUX_RELIABILITY_SCALE";

    /// <summary>The fraction CI runs with when the variable is not set.</summary>
    public const double Short = 0.02;

    public static double Factor { get; } = Parse(Environment.GetEnvironmentVariable(Variable));

    public static bool IsLong => Factor >= 1;

    /// <summary><paramref name="full"/> scaled, never below <paramref name="minimum"/>.</summary>
    public static int Of(int full, int minimum) => Math.Max(minimum, (int)Math.Round(full * Factor));

    /// <summary><paramref name="full"/> scaled, never below <paramref name="minimum"/>.</summary>
    public static TimeSpan Of(TimeSpan full, TimeSpan minimum) => TimeSpan.FromTicks(Math.Max(minimum.Ticks, (long)(full.Ticks * Factor)));

    private static double Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Short;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var factor) || factor <= 0 || factor > 1)
        {
            throw new ArgumentException($"{Variable} must be a number in (0, 1] (1 = full sizes); it was '{text}'.");
        }

        return factor;
    }
}
