"""What the blueprints share: guards, navigation, forms and request-bound helpers."""
