from django import forms
from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    """Django's login form with GOV.UK wording; the error is deliberately the
    same whether the username or the password was wrong."""

    error_messages = {
        "invalid_login": "Enter a correct username and password",
        "inactive": "This account has been disabled",
    }

    username = forms.CharField(
        label="Username",
        max_length=150,
        error_messages={"required": "Enter your username"},
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label="Password",
        strip=False,
        error_messages={"required": "Enter your password"},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
