using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>One line of the figures table.</summary>
/// <param name="Case">The scenario.</param>
/// <param name="Size">How many messages it moved.</param>
/// <param name="Lost">Messages acknowledged to the publisher (or stored) that never reached a final state.</param>
/// <param name="Duplicated">Extra copies: redeliveries or publishes stored twice, as stated in <paramref name="Notes"/>.</param>
/// <param name="ResumeTime">From the server being reachable again to the next handled message, or <see langword="null"/>.</param>
/// <param name="LongestPublish">The longest single publish call, or <see langword="null"/>.</param>
/// <param name="Notes">What the duplicates are and anything else worth a line.</param>
public sealed record FigureRow(string Case, long Size, long Lost, long Duplicated, TimeSpan? ResumeTime, TimeSpan? LongestPublish, string Notes);

/// <summary>
/// Collects one row per scenario and writes the table when the assembly ends: to <c>GOFLUX_RELIABILITY_REPORT</c> when
/// set (<c>make reliability</c> prints it), else next to the test binaries.
/// </summary>
public sealed class Figures : IAsyncDisposable
{
    public const string ReportVariable = "GOFLUX_RELIABILITY_REPORT";

    private static readonly ConcurrentQueue<FigureRow> Rows = new();

    public static void Add(FigureRow row)
    {
        Rows.Enqueue(row);
        TestContext.Current.SendDiagnosticMessage(Format([row]));
        TestContext.Current.TestOutputHelper?.WriteLine(Format([row]));
    }

    public static string Format(IEnumerable<FigureRow> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"scale {Scale.Factor.ToString(CultureInfo.InvariantCulture)} ({(Scale.IsLong ? "long run" : "short run")}), {Environment.ProcessorCount} cores");
        text.AppendLine();
        text.AppendLine("| case | messages | lost | duplicated | resume time | longest publish | notes |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var r in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"| {r.Case} | {r.Size:N0} | {r.Lost:N0} | {r.Duplicated:N0} | {Seconds(r.ResumeTime)} | {Seconds(r.LongestPublish)} | {r.Notes} |");
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        if (Rows.IsEmpty)
        {
            return;
        }

        var path = Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "reliability-figures.md");
        await File.WriteAllTextAsync(path, Format(Rows));
    }

    private static string Seconds(TimeSpan? value) =>
        value is { } v ? v.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture) + " s" : "–";
}
