using Akka.Actor;
using Smp.Actors;
using Smp.Devices.Platform.Firmware;

namespace Smp.Devices.Platform.Actors;

/// <summary>
/// The BIOS as an actor: answers each <see cref="BiosCall"/> with a <see cref="BiosReturn"/> computed by
/// <see cref="IBiosServices.Handle"/>. The services are created once, when the memory controller has
/// answered the <see cref="MemoryMapQuery"/> (the E820 map's one source); calls arriving before are kept.
/// </summary>
public sealed class BiosActor : SimActor
{
    private readonly Func<IReadOnlyList<E820Entry>, IBiosServices> _factory;
    private readonly IActorRef? _memoryController;
    private readonly List<(BiosCall Call, IActorRef Sender)> _waiting = [];
    private IBiosServices? _services;

    /// <summary>Creates the BIOS actor.</summary>
    /// <param name="factory">Creates the services from the E820 map.</param>
    /// <param name="memoryController">The memory controller to ask for the map; with null the services get an empty map.</param>
    public BiosActor(Func<IReadOnlyList<E820Entry>, IBiosServices> factory, IActorRef? memoryController)
    {
        _factory = factory;
        _memoryController = memoryController;
        Receive<MemoryMapReply>(reply =>
        {
            _services ??= _factory(reply.Entries);
            foreach (var (call, sender) in _waiting) Serve(call, sender);
            _waiting.Clear();
        });
        Receive<BiosCall>(call =>
        {
            if (_services is null) _waiting.Add((call, Sender));
            else Serve(call, Sender);
        });
    }

    /// <inheritdoc />
    protected override void PreStart()
    {
        if (_memoryController is null) _services = _factory([]);
        else Sim.Tell(_memoryController, new MemoryMapQuery());
    }

    private void Serve(BiosCall call, IActorRef sender)
    {
        var registers = call.Registers;
        _services!.Handle(call.Cpu, call.TrapPort, ref registers);
        Sim.Tell(sender, new BiosReturn(registers));
    }
}
