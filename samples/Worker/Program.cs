using Microsoft.Extensions.Hosting;
using Shipping;

// The Shipping worker: books a shipment for every order placed, on the JetStream server at NATS_URL
// (default nats://127.0.0.1:4222). Its tests run this same registration on the in-memory engine (samples/Worker.Tests).
var builder = Host.CreateApplicationBuilder(args);
builder.AddShipping();
await builder.Build().RunAsync();
