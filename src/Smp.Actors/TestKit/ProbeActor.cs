using System.Collections.Concurrent;
using Akka.Actor;

namespace Smp.Actors.TestKit;

/// <summary>The simulated actor behind a <see cref="SimTestProbe"/>: it queues every message with its sender and time.</summary>
internal sealed class ProbeActor : SimActor
{
    public ProbeActor(ConcurrentQueue<(object Message, IActorRef Sender, long Time)> inbox)
    {
        ReceiveAny(message => inbox.Enqueue((message, Sender, Sim.Now)));
    }
}
