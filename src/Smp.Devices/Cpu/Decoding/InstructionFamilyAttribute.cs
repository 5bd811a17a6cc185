namespace Smp.Devices.Cpu.Decoding;

/// <summary>
/// Marks a static <c>Register()</c> method that installs the handlers of one instruction family
/// (arithmetic, string, system, ...) in <see cref="HandlerTable"/>. Families are discovered once,
/// so adding a family file needs no edit elsewhere.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class InstructionFamilyAttribute : Attribute;
