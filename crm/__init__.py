"""CRM history import (shared/import.md): a Salesforce or HubSpot export read
into deal plans (``salesforce``, ``hubspot``), each plan written as one
deal's imported entries, many deals to a transaction (``load``)."""
