namespace Goflux.Testing;

/// <summary>
/// Which backends a run covers. By default every backend runs; setting <see cref="Variable"/> to <c>inmemory</c> opts into
/// engine-only runs (no server needed), and test framework adapters report the JetStream cases as skipped with the reason.
/// </summary>
public static class TestBackends
{
    /// <summary>The environment variable: a comma-separated list of <c>inmemory</c> and <c>jetstream</c>; unset means both.</summary>
    public const string Variable = "GOFLUX_TEST_BACKENDS";

    /// <summary>Gets every backend, in the order test cases are generated.</summary>
    public static IReadOnlyList<TestBackendKind> All { get; } = [TestBackendKind.InMemory, TestBackendKind.JetStream];

    /// <summary>Whether <paramref name="kind"/> is selected by <paramref name="value"/> (the value of <see cref="Variable"/>).</summary>
    /// <param name="kind">The backend.</param>
    /// <param name="value">The variable's value; <see langword="null"/> or blank selects every backend.</param>
    /// <returns><see langword="true"/> when the backend's cases should run.</returns>
    /// <exception cref="ArgumentException"><paramref name="value"/> names something that is not a backend.</exception>
    public static bool IsSelected(TestBackendKind kind, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return true;
        }

        var selected = false;
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<TestBackendKind>(part, ignoreCase: true, out var named) || !Enum.IsDefined(named))
            {
                throw new ArgumentException($"{Variable}='{value}' names '{part}', which is not a backend; use inmemory, jetstream or both, comma-separated.", nameof(value));
            }

            selected |= named == kind;
        }

        return selected;
    }

    /// <summary>Whether <paramref name="kind"/> is selected by the process environment.</summary>
    /// <param name="kind">The backend.</param>
    /// <returns><see langword="true"/> when the backend's cases should run.</returns>
    /// <exception cref="ArgumentException">The variable names something that is not a backend.</exception>
    public static bool IsSelected(TestBackendKind kind) => IsSelected(kind, Environment.GetEnvironmentVariable(Variable));

    /// <summary>The reason given for a backend's cases that are not run.</summary>
    /// <param name="kind">The backend.</param>
    /// <returns>A sentence naming the switch.</returns>
    public static string NotSelectedReason(TestBackendKind kind) =>
        $"{Variable}={Environment.GetEnvironmentVariable(Variable)} leaves out the {kind} backend (unset it to run every backend).";
}
