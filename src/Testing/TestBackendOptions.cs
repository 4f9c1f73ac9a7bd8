namespace Goflux.Testing;

/// <summary>Options of a <see cref="TestBackend"/>.</summary>
public sealed record TestBackendOptions
{
    /// <summary>Gets the default options.</summary>
    public static TestBackendOptions Default { get; } = new();

    /// <summary>Gets the server fixture JetStream backends connect to, or <see langword="null"/> for <see cref="NatsServerFixture.Shared"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public NatsServerFixture? Server { get; init; }

    /// <summary>
    /// Gets how long a wait on a real server polls before it gives up (wall time). The in-memory engine never waits on the
    /// wall clock.
    /// </summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan Patience { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets how far a wait on the in-memory engine may move virtual time before it gives up.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan VirtualPatience { get; init; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Gets the step a wait on the in-memory engine moves virtual time by between checks. Every deadline inside a step
    /// still fires at its exact time.
    /// </summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan VirtualStep { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets the instant the in-memory engine's fake clock starts at.</summary>
    /// <value>The default value is 2026-01-01T00:00:00Z.</value>
    public DateTimeOffset Epoch { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Throws when the options are invalid, listing every problem.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (Patience <= TimeSpan.Zero)
        {
            errors.Add($"Patience must be positive (was {Patience}).");
        }

        if (VirtualPatience <= TimeSpan.Zero)
        {
            errors.Add($"VirtualPatience must be positive (was {VirtualPatience}).");
        }

        if (VirtualStep <= TimeSpan.Zero || VirtualStep > VirtualPatience)
        {
            errors.Add($"VirtualStep must be positive and at most VirtualPatience (was {VirtualStep}).");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid test backend options: " + string.Join(" ", errors), "options");
        }
    }
}
