"""What calcidose serves (the ``service`` extra): the CDS Hooks service and the pharmacist's page.

Nothing here is imported by ``import calcidose`` or a ``dose()`` call.
"""
