"""Clients of real providers (Bolna, ...), each tested against its emulator in emulators/."""
