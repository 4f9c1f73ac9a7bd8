namespace Goflux.Testing;

/// <summary>The outcome of <see cref="NatsServerLocator.FindBinaryAsync"/>.</summary>
/// <param name="Path">A nats-server binary of <see cref="NatsServerVersion.Minimum"/> or newer, or <see langword="null"/>.</param>
/// <param name="Notes">Candidates that were passed over, and why.</param>
internal sealed record NatsBinaryLookup(string? Path, IReadOnlyList<string> Notes);
