namespace Goflux.Testing;

/// <summary>
/// Where a <see cref="NatsServerFixture"/> looks for a NATS server, and how long starting and stopping one may take.
/// </summary>
/// <remarks>
/// The order is fixed: <c>NATS_URL</c> (a server someone else runs), then Testcontainers when a Docker engine answers
/// (<see cref="Image"/>), then a <c>nats-server</c> 2.10+ binary (<see cref="BinaryPath"/> or <c>GOFLUX_NATS_SERVER</c>,
/// then <see cref="SearchUpwardFor"/>, then <c>PATH</c>). Every start and every clean-up is bounded by
/// <see cref="StartTimeout"/> and <see cref="StopTimeout"/> and fails with a message when it takes longer.
/// </remarks>
public sealed record NatsServerOptions
{
    /// <summary>The relative path <see cref="SearchUpwardFor"/> looks for by default.</summary>
    public const string DefaultSearchUpwardFor = ".tools/nats-server/nats-server";

    /// <summary>Gets the default options: the process environment decides.</summary>
    public static NatsServerOptions Default { get; } = new();

    /// <summary>
    /// Gets the environment the variables are read from (<c>NATS_URL</c>, <c>GOFLUX_NATS_IMAGE</c>, <c>GOFLUX_NATS_SERVER</c>,
    /// <c>DOCKER_HOST</c>, <c>PATH</c>), or <see langword="null"/> for the process environment.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyDictionary<string, string?>? Environment { get; init; }

    /// <summary>
    /// Gets the image for the Testcontainers path, or <see langword="null"/> for <c>GOFLUX_NATS_IMAGE</c>, else
    /// <c>nats:2.10</c> (the official image).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Image { get; init; }

    /// <summary>
    /// Gets the path of a nats-server binary to prefer over <c>PATH</c>, or <see langword="null"/> for
    /// <c>GOFLUX_NATS_SERVER</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? BinaryPath { get; init; }

    /// <summary>
    /// Gets a relative path of a nats-server binary looked for in the test binaries' directory and each of its parents
    /// (so a binary provisioned into the repository is found from any test project in it) before <c>PATH</c>, or
    /// <see langword="null"/> for none.
    /// </summary>
    /// <value>The default value is <see cref="DefaultSearchUpwardFor"/>: <c>.tools/nats-server/nats-server</c>, where this
    /// repository's <c>scripts/provision-nats.sh</c> puts it.</value>
    public string? SearchUpwardFor { get; init; } = DefaultSearchUpwardFor;

    /// <summary>Gets a value indicating whether the Testcontainers path is tried.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseDocker { get; init; } = true;

    /// <summary>Gets how long starting a server (a container, including its image pull, or a process) may take.</summary>
    /// <value>The default value is 90 seconds.</value>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Gets how long stopping a server and cleaning up after it (a container, a process and its store) may take.</summary>
    /// <value>The default value is 20 seconds.</value>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Gets how long the check whether a Docker engine answers may take.</summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan DockerProbeTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Throws when the options are invalid, listing every problem.</summary>
    /// <exception cref="ArgumentException">One or more options are invalid.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (StartTimeout <= TimeSpan.Zero)
        {
            errors.Add($"StartTimeout must be positive (was {StartTimeout}).");
        }

        if (StopTimeout <= TimeSpan.Zero)
        {
            errors.Add($"StopTimeout must be positive (was {StopTimeout}).");
        }

        if (DockerProbeTimeout <= TimeSpan.Zero)
        {
            errors.Add($"DockerProbeTimeout must be positive (was {DockerProbeTimeout}).");
        }

        if (Image is { Length: 0 })
        {
            errors.Add("Image must not be empty (null means GOFLUX_NATS_IMAGE or the official image).");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid NATS server options: " + string.Join(" ", errors), "options");
        }
    }

    internal IReadOnlyDictionary<string, string?> ResolveEnvironment() => Environment ?? NatsServerLocator.ProcessEnvironment();
}
