namespace Goflux.Reliability.Tests.Infrastructure;

/// <summary>Finds the nats-server binary: <c>GOFLUX_NATS_SERVER</c>, else the repository's provisioned one.</summary>
public static class NatsBinary
{
    public const string Variable = "GOFLUX_NATS_SERVER";
    public const string Provisioned = ".tools/nats-server/nats-server";

    public static string Locate()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } configured)
        {
            var full = Path.GetFullPath(configured);
            return File.Exists(full)
                ? full
                : throw new FileNotFoundException($"{Variable} points at {full}, which does not exist. Run `bash scripts/provision-nats.sh` (or `make test`) to provision nats-server 2.10.", full);
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Goflux.Testable.sln")))
            {
                var candidate = Path.Combine(dir.FullName, Provisioned);
                return File.Exists(candidate)
                    ? candidate
                    : throw new FileNotFoundException($"No nats-server at {Provisioned} and {Variable} is not set. Run `bash scripts/provision-nats.sh` (or `make test`) to provision nats-server 2.10.", candidate);
            }
        }

        throw new FileNotFoundException($"No nats-server: {Variable} is not set and the repository root was not found from {AppContext.BaseDirectory}.");
    }
}
