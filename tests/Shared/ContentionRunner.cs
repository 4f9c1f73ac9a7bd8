using System.Diagnostics;
using System.Reflection;
using System.Text;
using Xunit;

namespace Goflux.Tests.Shared;

/// <summary>
/// Runs test methods of given classes round after round in this process while busy threads (two per core) compete for
/// every core, as on a loaded CI runner: a test that only passes on a quiet machine fails here. Each case gets a fresh
/// instance (constructor, <see cref="IAsyncLifetime"/>, dispose), as xunit gives it; theories run with each
/// <see cref="InlineDataAttribute"/> row. The rounds come from <c>GOFLUX_STRESS_ROUNDS</c> (a few by default, so the
/// runner itself is always exercised; <c>make stress</c> asks for 1,000).
/// </summary>
internal static class ContentionRunner
{
    /// <summary>How long one case may take under contention before it counts as hung.</summary>
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A wall-clock budget from <c>GOFLUX_STRESS_MINUTES</c>: no new round starts after it (unlimited by default).</summary>
    public static TimeSpan Budget
        => double.TryParse(Environment.GetEnvironmentVariable("GOFLUX_STRESS_MINUTES"), System.Globalization.CultureInfo.InvariantCulture, out var m) && m > 0
            ? TimeSpan.FromMinutes(m)
            : TimeSpan.MaxValue;

    /// <summary>Narrows a run to the cases whose name contains one of the <c>|</c>-separated parts of
    /// <c>GOFLUX_STRESS_ONLY</c> (all cases when unset), to repeat a flaky case many times.</summary>
    public static IReadOnlyList<Case> Only(IReadOnlyList<Case> cases)
        => Environment.GetEnvironmentVariable("GOFLUX_STRESS_ONLY") is { Length: > 0 } only
            ? [.. cases.Where(c => only.Split('|').Any(part => c.ToString().Contains(part, StringComparison.Ordinal)))]
            : cases;

    public static int Rounds(int byDefault)
        => int.TryParse(Environment.GetEnvironmentVariable("GOFLUX_STRESS_ROUNDS"), out var n) && n > 0 ? n : byDefault;

    /// <summary>The cases of <paramref name="classes"/>: every fact, and every inline row of every theory, minus those
    /// <paramref name="exclude"/> names (by method name).</summary>
    public static IReadOnlyList<Case> Cases(IEnumerable<Type> classes, Func<MethodInfo, bool>? exclude = null)
    {
        var cases = new List<Case>();
        foreach (var type in classes)
        {
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance).OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                if (exclude?.Invoke(method) == true || method.GetCustomAttribute<FactAttribute>() is not { } fact || fact.Skip is not null)
                {
                    continue;
                }

                if (fact is TheoryAttribute)
                {
                    foreach (var row in method.GetCustomAttributes<InlineDataAttribute>())
                    {
                        cases.Add(new Case(type, method, Convert(method, row.Data)));
                    }
                }
                else
                {
                    cases.Add(new Case(type, method, []));
                }
            }
        }

        return cases;
    }

    /// <summary>Runs every case <paramref name="rounds"/> times under contention; returns a report of the failures (empty
    /// when none failed).</summary>
    public static async Task<string> RunAsync(IReadOnlyList<Case> cases, int rounds, CancellationToken cancellationToken)
    {
        using var stop = new CancellationTokenSource();
        var busy = Enumerable.Range(0, Environment.ProcessorCount * 2)
            .Select(_ => new Thread(() => Spin(stop.Token)) { IsBackground = true })
            .ToList();
        busy.ForEach(t => t.Start());
        var failures = new List<string>();
        var failed = 0;
        var completed = 0;
        var clock = Stopwatch.StartNew();
        try
        {
            for (var round = 1; round <= rounds; round++)
            {
                if (clock.Elapsed > Budget)
                {
                    break;
                }

                completed = round;
                foreach (var c in cases)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (await RunOneAsync(c, cancellationToken) is { } error)
                    {
                        failed++;
                        if (failures.Count < 20)
                        {
                            failures.Add($"round {round}: {c}: {error}");
                        }
                    }
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            busy.ForEach(t => t.Join());
        }

        var summary = $"{completed} rounds of {cases.Count} cases ({completed * cases.Count} runs) beside {busy.Count} busy threads in {clock.Elapsed.TotalMinutes:F1} min: {failed} failed";
        if (Environment.GetEnvironmentVariable("GOFLUX_STRESS_REPORT") is { Length: > 0 } path)
        {
            await File.WriteAllTextAsync(path, summary + Environment.NewLine, CancellationToken.None);
        }

        if (failed == 0)
        {
            return string.Empty;
        }

        var report = new StringBuilder()
            .Append(failed).Append(" of ").Append(cases.Count * completed).Append(" runs failed (")
            .Append(cases.Count).Append(" cases x ").Append(completed).Append(" rounds, ")
            .Append(busy.Count).Append(" busy threads, ").Append(clock.Elapsed.TotalSeconds.ToString("F0", System.Globalization.CultureInfo.InvariantCulture)).Append(" s):");
        failures.ForEach(f => report.AppendLine().Append("  ").Append(f));
        return report.ToString();
    }

    private static object?[] Convert(MethodInfo method, object?[] data)
    {
        var parameters = method.GetParameters();
        var args = new object?[parameters.Length];
        for (var i = 0; i < args.Length; i++)
        {
            var value = i < data.Length ? data[i] : parameters[i].DefaultValue;
            var target = Nullable.GetUnderlyingType(parameters[i].ParameterType) ?? parameters[i].ParameterType;
            args[i] = value is null || target.IsInstanceOfType(value) ? value
                : target.IsEnum ? Enum.ToObject(target, value)
                : System.Convert.ChangeType(value, target, System.Globalization.CultureInfo.InvariantCulture);
        }

        return args;
    }

    private static async Task<string?> RunOneAsync(Case c, CancellationToken cancellationToken)
    {
        object? instance = null;
        try
        {
            instance = Activator.CreateInstance(c.Type)!;
            var run = RunCoreAsync(instance, c);
            await run.WaitAsync(CaseTimeout, cancellationToken);
            return null;
        }
        catch (TimeoutException)
        {
            return $"did not finish within {CaseTimeout.TotalSeconds:F0} s";
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var inner = ex is TargetInvocationException { InnerException: { } i } ? i : ex;
            return $"{inner.GetType().Name}: {FirstLines(inner.Message)}";
        }
        finally
        {
            await DisposeAsync(instance);
        }
    }

    private static async Task RunCoreAsync(object instance, Case c)
    {
        if (instance is IAsyncLifetime lifetime)
        {
            await lifetime.InitializeAsync();
        }

        switch (c.Method.Invoke(instance, c.Arguments))
        {
            case Task task:
                await task;
                break;
            case ValueTask valueTask:
                await valueTask;
                break;
        }
    }

    private static async Task DisposeAsync(object? instance)
    {
        try
        {
            switch (instance)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        catch (Exception)
        {
            // A dispose failure after a failed case adds nothing to its report.
        }
    }

    private static string FirstLines(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return string.Join(" | ", lines.Take(4));
    }

    private static void Spin(CancellationToken stop)
    {
        var x = 0UL;
        while (!stop.IsCancellationRequested)
        {
            for (var i = 0; i < 100_000; i++)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }
        }

        GC.KeepAlive(x);
    }

    /// <summary>One test case: a method of a class, with its inline arguments.</summary>
    public sealed record Case(Type Type, MethodInfo Method, object?[] Arguments)
    {
        public override string ToString()
            => Arguments.Length == 0
                ? $"{Type.Name}.{Method.Name}"
                : $"{Type.Name}.{Method.Name}({string.Join(", ", Arguments.Select(a => a?.ToString() ?? "null"))})";
    }
}
