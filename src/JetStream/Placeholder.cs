namespace Goflux.JetStream; internal static class Placeholder { }
